"""The official OpenAlgo Python SDK against a live algogate: a short NIFTY straddle.

Run by scripts/compat.sh with ALGOGATE_HOST and ALGOGATE_APIKEY set: optionsymbol for the
ATM call and put, optionsorder to sell both, optionsmultiorder to buy wings, optionchain
and optiongreeks to watch them, syntheticfuture, positionbook, then closeposition to exit.
Exits non-zero on any failure.
"""

import os
import sys

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
    good = isinstance(res, dict) and res.get("status") == "success"
    check(f"{name} succeeds", good, res)
    return res if good else None


exp = ok("expiry", client.expiry(symbol="NIFTY", exchange="NFO", instrumenttype="options"))
# The next expiry but one: the nearest stays listed until the session ends (03:00 IST) even
# after its 15:30 cut-off, when it has no greeks left to check.
expiry = exp["data"][1].replace("-", "") if exp else "30DEC25"

legs = {}
for right in ("CE", "PE"):
    r = ok(
        f"optionsymbol ATM {right}",
        client.optionsymbol(
            underlying="NIFTY", exchange="NSE_INDEX", expiry_date=expiry, offset="ATM", option_type=right
        ),
    )
    if r:
        legs[right] = r
        check(f"optionsymbol {right} shape", r["symbol"].endswith(right) and r["exchange"] == "NFO", r)
        check(f"optionsymbol {right} lot size", r["lotsize"] == 65, r)
if len(legs) == 2:
    strike = lambda s: float(s[len("NIFTY") + 7 : -2])
    check("the ATM call and put share a strike", strike(legs["CE"]["symbol"]) == strike(legs["PE"]["symbol"]), legs)

bad = client.optionsymbol(underlying="NIFTY", exchange="NSE_INDEX", expiry_date=expiry, offset="OTM99", option_type="CE")
check("optionsymbol refuses OTM99 with the schema's message", bad.get("code") == 400 and "OTM50" in bad.get("message", ""), bad)

def net(rows):
    """Quantity per symbol, summed over products (MIS and NRML rows are separate)."""
    out = {}
    for p in rows:
        out[p["symbol"]] = out.get(p["symbol"], 0) + int(p["quantity"])
    return out


def positions():
    pb = client.positionbook()
    return net(pb.get("data", [])) if isinstance(pb, dict) else {}


# Other clients (the Bruno run) share this account: positions are compared before/after.
before = positions()

# Sell the straddle: one optionsorder per leg.
for right in ("CE", "PE"):
    o = ok(
        f"optionsorder SELL ATM {right}",
        client.optionsorder(
            strategy="compat", underlying="NIFTY", exchange="NSE_INDEX", expiry_date=expiry,
            offset="ATM", option_type=right, action="SELL", quantity=65, price_type="MARKET", product="NRML",
        ),
    )
    if o and right in legs:
        check(f"optionsorder {right} traded the resolved contract", o["symbol"] == legs[right]["symbol"], o)
        check(f"optionsorder {right} is the sandbox's", o.get("mode") == "analyze" and len(o["orderid"]) == 14, o)

# Wings: optionsmultiorder (BUY legs first).
m = ok(
    "optionsmultiorder wings",
    client.optionsmultiorder(
        strategy="compat", underlying="NIFTY", exchange="NSE_INDEX", expiry_date=expiry,
        legs=[
            {"offset": "OTM5", "option_type": "CE", "action": "BUY", "quantity": 65, "product": "NRML"},
            {"offset": "OTM5", "option_type": "PE", "action": "BUY", "quantity": 65, "product": "NRML"},
        ],
    ),
)
if m:
    res = m["results"]
    check("optionsmultiorder per-leg results", [x["leg"] for x in res] == [1, 2] and all(x["status"] == "success" for x in res), res)

chain = ok("optionchain", client.optionchain(underlying="NIFTY", exchange="NSE_INDEX", expiry_date=expiry, strike_count=5, with_greeks=True))
if chain:
    rows = chain["chain"]
    check("optionchain 11 rows", len(rows) == 11, len(rows))
    atm = [r for r in rows if r["ce"] and r["ce"]["label"] == "ATM"]
    check("optionchain marks the ATM", len(atm) == 1 and atm[0]["strike"] == chain["atm_strike"], chain["atm_strike"])
    if "CE" in legs:
        check("optionchain ATM is optionsymbol's", atm and atm[0]["ce"]["symbol"] == legs["CE"]["symbol"], atm)
    check("optionchain greeks", all("delta" in r["ce"] for r in rows if r["ce"] and r["ce"]["ltp"] > 0), rows[0])

for right in ("CE", "PE"):
    if right not in legs:
        continue
    g = ok(f"optiongreeks {right}", client.optiongreeks(symbol=legs[right]["symbol"], exchange="NFO"))
    if g:
        d = g["greeks"]["delta"]
        check(f"optiongreeks {right} delta sign", (0 < d < 1) if right == "CE" else (-1 < d < 0), g)
        check(f"optiongreeks {right} iv in percent", 1 < g["implied_volatility"] < 200, g)

sf = ok("syntheticfuture", client.syntheticfuture(underlying="NIFTY", exchange="NSE_INDEX", expiry_date=expiry))
if sf and chain:
    check("syntheticfuture near the spot", abs(sf["synthetic_future_price"] - chain["underlying_ltp"]) < 0.02 * chain["underlying_ltp"], sf)

pb = ok("positionbook", client.positionbook())
if pb and len(legs) == 2:
    qty = net(pb["data"])
    for right in ("CE", "PE"):
        sym = legs[right]["symbol"]
        check(f"short {right} position", qty.get(sym, 0) - before.get(sym, 0) == -65, (before, qty))

# Exit everything.
c = ok("closeposition", client.closeposition(strategy="compat"))
pb = ok("positionbook after exit", client.positionbook())
if pb:
    check("all flat", all(int(p["quantity"]) == 0 for p in pb["data"]), pb["data"])

if failures:
    print(f"test_sdk_options: {len(failures)} failure(s): {', '.join(failures)}")
    sys.exit(1)
print("test_sdk_options: all checks passed")
