"""The official OpenAlgo Python SDK against a live algogate: market data and symbols.

Run by scripts/compat.sh with ALGOGATE_HOST and ALGOGATE_APIKEY set. Calls every
market-data method of the SDK whose endpoint algogate serves and checks the results the
way a strategy would use them. Exits non-zero on the first failure.
"""

import os
import re
import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
from openalgo import api

HOST = os.environ["ALGOGATE_HOST"]
KEY = os.environ["ALGOGATE_APIKEY"]

client = api(api_key=KEY, host=HOST)
failures = []


def check(name, cond, detail=""):
    if cond:
        print(f"  ok   {name}")
    else:
        print(f"  FAIL {name}: {detail}")
        failures.append(name)


def ok(name, res):
    """The SDK returns the parsed body on 200 and an error dict otherwise."""
    good = isinstance(res, dict) and res.get("status") == "success"
    check(f"{name} succeeds", good, res)
    return res if good else None


QUOTE_KEYS = {"open", "high", "low", "ltp", "ask", "bid", "prev_close", "volume"}

# quotes
q = ok("quotes", client.quotes(symbol="RELIANCE", exchange="NSE"))
if q:
    d = q["data"]
    check("quotes fields", QUOTE_KEYS <= d.keys(), d.keys())
    check("quotes bid <= ltp <= ask", d["bid"] <= d["ltp"] <= d["ask"], d)
    check("quotes low <= ltp <= high", d["low"] <= d["ltp"] <= d["high"], d)
    check("quotes carry no mode", "mode" not in q, q)

bad = client.quotes(symbol="NOSUCHSYMBOL", exchange="NSE")
check(
    "quotes unknown symbol is an HTTP 400 error",
    bad.get("status") == "error" and bad.get("code") == 400 and "not found" in bad.get("message", ""),
    bad,
)

# multiquotes
mq = ok(
    "multiquotes",
    client.multiquotes(
        symbols=[
            {"symbol": "RELIANCE", "exchange": "NSE"},
            {"symbol": "NOSUCHSYMBOL", "exchange": "NSE"},
            {"symbol": "NIFTY", "exchange": "NSE_INDEX"},
        ]
    ),
)
if mq:
    r = mq["results"]
    check("multiquotes invalid first", r[0]["symbol"] == "NOSUCHSYMBOL" and "error" in r[0], r[0])
    check(
        "multiquotes data for the rest",
        [x["symbol"] for x in r[1:]] == ["RELIANCE", "NIFTY"] and all(x["data"]["ltp"] > 0 for x in r[1:]),
        r,
    )

# depth
dp = ok("depth", client.depth(symbol="SBIN", exchange="NSE"))
if dp:
    d = dp["data"]
    bids = [lvl["price"] for lvl in d["bids"]]
    asks = [lvl["price"] for lvl in d["asks"]]
    check("depth five levels", len(bids) == 5 and len(asks) == 5, d)
    check("depth sorted", bids == sorted(bids, reverse=True) and asks == sorted(asks), (bids, asks))
    check("depth totals", d["totalbuyqty"] == sum(lvl["quantity"] for lvl in d["bids"]), d)

# intervals
iv = ok("intervals", client.intervals())
if iv:
    check("intervals minutes", "1m" in iv["data"]["minutes"] and "D" in iv["data"]["days"], iv)

# history: a DataFrame indexed by timestamp
# The simulated market keeps IST dates.
today = datetime.now(ZoneInfo("Asia/Kolkata")).date()
start = (today - timedelta(days=10)).isoformat()
df = client.history(symbol="RELIANCE", exchange="NSE", interval="D", start_date=start, end_date=today.isoformat())
check("history returns a DataFrame", isinstance(df, pd.DataFrame), df)
if isinstance(df, pd.DataFrame):
    check("history columns", {"open", "high", "low", "close", "volume"} <= set(df.columns), df.columns)
    check("history has rows", len(df) >= 5, len(df))
    check("history index is datetimes", pd.api.types.is_datetime64_any_dtype(df.index), df.index.dtype)
    years = {ts.year for ts in df.index}
    check("history timestamps are recent (epoch seconds)", years <= {today.year, today.year - 1}, years)
    check("history OHLC consistent", bool(((df["low"] <= df["open"]) & (df["open"] <= df["high"])).all()), df)

intraday = client.history(symbol="SBIN", exchange="NSE", interval="5m", start_date=today.isoformat(), end_date=today.isoformat())
check("intraday history DataFrame", isinstance(intraday, pd.DataFrame) and len(intraday) > 0, intraday)
if isinstance(intraday, pd.DataFrame):
    check("intraday index in IST", str(intraday.index.tz) == "Asia/Kolkata", intraday.index.tz)

badh = client.history(symbol="RELIANCE", exchange="NSE", interval="7m", start_date=start, end_date=today.isoformat())
check("history bad interval is an error", isinstance(badh, dict) and badh.get("code") == 400, badh)

# symbol
sy = ok("symbol", client.symbol(symbol="RELIANCE", exchange="NSE"))
if sy:
    d = sy["data"]
    check(
        "symbol fields",
        {"symbol", "brsymbol", "name", "exchange", "token", "expiry", "strike", "lotsize", "instrumenttype", "tick_size"}
        <= d.keys(),
        d.keys(),
    )
    check("symbol is RELIANCE on NSE", (d["symbol"], d["exchange"]) == ("RELIANCE", "NSE"), d)

# search
se = ok("search", client.search(query="NIFTY", exchange="NFO"))
if se:
    check("search ranked and capped", 0 < len(se["data"]) <= 500 and se["data"][0]["symbol"].startswith("NIFTY"), se["message"])
se2 = ok("search without exchange", client.search(query="RELIANCE"))
if se2:
    check("search exact first", se2["data"][0]["symbol"] == "RELIANCE", se2["data"][:3])

# expiry
ex = ok("expiry", client.expiry(symbol="NIFTY", exchange="NFO", instrumenttype="options"))
if ex:
    dates = ex["data"]
    check("expiry DD-MMM-YY", dates and all(re.fullmatch(r"\d{2}-[A-Z]{3}-\d{2}", x) for x in dates), dates)
    parsed = [pd.to_datetime(x, format="%d-%b-%y") for x in dates]
    check("expiry sorted", parsed == sorted(parsed), dates)

# instruments: a DataFrame, per exchange and for all (the SDK loops over exchanges)
ins = client.instruments(exchange="NSE_INDEX")
check("instruments DataFrame", isinstance(ins, pd.DataFrame) and len(ins) > 0, ins)
if isinstance(ins, pd.DataFrame):
    check("instruments exchange filter", set(ins["exchange"]) == {"NSE_INDEX"}, set(ins["exchange"]))
    check("instruments has NIFTY", "NIFTY" in set(ins["symbol"]), ins["symbol"].head())
allins = client.instruments()
check("instruments for all exchanges", isinstance(allins, pd.DataFrame) and {"NSE", "NFO"} <= set(allins["exchange"]), type(allins))

# analyzer status
an = ok("analyzerstatus", client.analyzerstatus())
if an:
    check("analyze mode", an["data"]["mode"] == "analyze" and an["data"]["analyze_mode"] is True, an)

if failures:
    print(f"test_sdk_market: {len(failures)} failure(s): {', '.join(failures)}")
    sys.exit(1)
print("test_sdk_market: all checks passed")
