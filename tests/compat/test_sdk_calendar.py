"""The official OpenAlgo Python SDK against a live algogate: the market calendar.

Run by scripts/compat.sh with ALGOGATE_HOST and ALGOGATE_APIKEY set. Calls the SDK's
`holidays` and `timings` methods (the SDK's only calendar methods) and checks the answers
against the exchanges' calendar, in IST whatever the client's and the server's time zone.
Exits non-zero on any failure.
"""

import os
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

from openalgo import api

HOST = os.environ["ALGOGATE_HOST"]
KEY = os.environ["ALGOGATE_APIKEY"]
IST = ZoneInfo("Asia/Kolkata")

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


def ist(ms):
    return datetime.fromtimestamp(ms / 1000, IST).strftime("%Y-%m-%d %H:%M")


# holidays(year)
h = ok("holidays 2026", client.holidays(year=2026))
if h:
    check("holidays year and timezone", h["year"] == 2026 and h["timezone"] == "Asia/Kolkata", h)
    days = {d["date"]: d for d in h["data"]}
    dates = [d["date"] for d in h["data"]]
    check("holidays ordered by date", dates == sorted(dates), dates)
    holi = days.get("2026-03-03")
    check("Holi closes NSE", holi and holi["holiday_type"] == "TRADING_HOLIDAY" and "NSE" in holi["closed_exchanges"], holi)
    mcx = holi and holi["open_exchanges"]
    check(
        "Holi keeps the MCX evening",
        mcx and mcx[0]["exchange"] == "MCX" and ist(mcx[0]["start_time"]) == "2026-03-03 17:00"
        and ist(mcx[0]["end_time"]) == "2026-03-03 23:55",
        mcx,
    )
    check("Republic Day is listed", "2026-01-26" in days, dates)

h = ok("holidays without a year", client.holidays())
if h:
    check("holidays default to the current year", h["year"] == datetime.now(IST).year, h["year"])

bad = client.holidays(year=2019)
check(
    "holidays out of range is an HTTP 400",
    bad.get("code") == 400 and "greater than or equal to 2020" in bad.get("message", ""),
    bad,
)

# timings(date)
t = ok("timings on a normal day", client.timings(date="2025-12-19"))
if t:
    by = {w["exchange"]: w for w in t["data"]}
    check(
        "timings list every exchange",
        list(by) == ["NSE", "BSE", "NFO", "BFO", "MCX", "BCD", "CDS", "NCO", "CRYPTO"],
        list(by),
    )
    check("NSE opens 09:15 IST", ist(by["NSE"]["start_time"]) == "2025-12-19 09:15", by.get("NSE"))
    check("NFO closes 15:40 IST", ist(by["NFO"]["end_time"]) == "2025-12-19 15:40", by.get("NFO"))

t = ok("timings on a Saturday", client.timings(date="2025-12-20"))
if t:
    check("weekends trade CRYPTO only", [w["exchange"] for w in t["data"]] == ["CRYPTO"], t["data"])

t = ok("timings on Republic Day", client.timings(date="2026-01-26"))
if t:
    check("a closed day has no sessions", t["data"] == [], t["data"])

t = ok("timings on Muhurat day", client.timings(date="2026-11-08"))
if t:
    nse = [w for w in t["data"] if w["exchange"] == "NSE"]
    check("Muhurat NSE 18:00 IST", nse and ist(nse[0]["start_time"]) == "2026-11-08 18:00", t["data"])

t = ok("timings for today (the SDK's default date)", client.timings())

bad = client.timings(date="19-12-2025")
check(
    "timings bad date is an HTTP 400",
    bad.get("code") == 400 and "Invalid date format" in bad.get("message", ""),
    bad,
)

if failures:
    print(f"test_sdk_calendar: {len(failures)} failure(s): {', '.join(failures)}")
    sys.exit(1)
print("test_sdk_calendar: all checks passed")
