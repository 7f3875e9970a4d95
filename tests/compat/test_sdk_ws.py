"""The official `openalgo` SDK's WebSocket client against a live algogate.

Run by scripts/compat.sh with ALGOGATE_HOST, ALGOGATE_APIKEY and ALGOGATE_WS_URL set.
connect() must authenticate, subscribe_ltp/quote/depth must deliver data to the callbacks
and to the cached getters, unsubscribe must stop it, and a bad key must not authenticate.
"""

import os
import sys
import threading
import time

from openalgo import api

HOST = os.environ["ALGOGATE_HOST"]
KEY = os.environ["ALGOGATE_APIKEY"]
WS_URL = os.environ["ALGOGATE_WS_URL"]

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def wait_for(pred, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


class Collector:
    def __init__(self):
        self.items = []
        self.lock = threading.Lock()

    def __call__(self, data):
        with self.lock:
            self.items.append(data)

    def count(self):
        with self.lock:
            return len(self.items)

    def last(self):
        with self.lock:
            return self.items[-1]


def main():
    client = api(api_key=KEY, host=HOST, ws_url=WS_URL)
    check(client.connect() is True, "connect() authenticates")
    check(client.authenticated, "authenticated flag set")

    sbin = [{"exchange": "NSE", "symbol": "SBIN"}]
    infy = [{"exchange": "NSE", "symbol": "INFY"}]
    rel = [{"exchange": "NSE", "symbol": "RELIANCE"}]

    ltp = Collector()
    check(client.subscribe_ltp(sbin, on_data_received=ltp) is not False, "subscribe_ltp")
    check(wait_for(lambda: ltp.count() >= 2), "LTP callback receives ticks")
    if ltp.count():
        m = ltp.last()
        check(m.get("type") == "market_data" and m.get("mode") == 1, "LTP message is market_data mode 1")
        check(m["symbol"] == "SBIN" and m["exchange"] == "NSE", "LTP message names the instrument")
        data = m.get("data", {})
        check(isinstance(data.get("ltp"), (int, float)) and data["ltp"] > 0, "LTP data carries ltp")
        ts = data.get("timestamp")
        check(isinstance(ts, int) and abs(ts - time.time() * 1000) < 120_000, "timestamp is epoch ms")
    cached = client.get_ltp()
    check(cached.get("ltp", {}).get("NSE", {}).get("SBIN", {}).get("ltp", 0) > 0, "get_ltp() cache filled")

    quote = Collector()
    check(client.subscribe_quote(infy, on_data_received=quote) is not False, "subscribe_quote")
    check(wait_for(lambda: quote.count() >= 2), "Quote callback receives ticks")
    if quote.count():
        d = quote.last().get("data", {})
        check(quote.last().get("mode") == 2, "Quote message is mode 2")
        for f in ("open", "high", "low", "close", "ltp", "volume"):
            check(isinstance(d.get(f), (int, float)), f"quote data has {f}")
        check(d["low"] <= d["ltp"] <= d["high"], "low <= ltp <= high")
    q = client.get_quotes().get("quote", {}).get("NSE", {}).get("INFY", {})
    check(q.get("ltp", 0) > 0 and q.get("volume", -1) >= 0, "get_quotes() cache filled")

    depth = Collector()
    check(client.subscribe_depth(rel, on_data_received=depth) is not False, "subscribe_depth")
    check(wait_for(lambda: depth.count() >= 2), "Depth callback receives ticks")
    if depth.count():
        d = depth.last().get("data", {})
        check(depth.last().get("mode") == 3, "Depth message is mode 3")
        book = d.get("depth", {})
        check(len(book.get("buy", [])) == 5 and len(book.get("sell", [])) == 5, "5 levels a side")
        if book.get("buy") and book.get("sell"):
            check(book["buy"][0]["price"] < book["sell"][0]["price"], "best bid below best ask")
    dd = client.get_depth().get("depth", {}).get("NSE", {}).get("RELIANCE", {})
    check(len(dd.get("buyBook", {})) >= 5 and dd.get("ltp", 0) > 0, "get_depth() cache filled")

    # Unsubscribing LTP stops its callback (allow one tick already in flight).
    check(client.unsubscribe_ltp(sbin) is not False, "unsubscribe_ltp")
    time.sleep(1.5)
    n = ltp.count()
    time.sleep(2.5)
    check(ltp.count() <= n + 1, "no LTP ticks after unsubscribe_ltp")
    check(quote.count() > 0 and depth.count() > 0, "other subscriptions unaffected")

    client.disconnect()

    bad = api(api_key="0" * 64, host=HOST, ws_url=WS_URL)
    check(bad.connect() is False, "a wrong key does not authenticate")
    try:
        bad.disconnect()
    except Exception:  # the SDK may already have torn it down
        pass

    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        sys.exit(1)
    print("test_sdk_ws: all checks passed")


if __name__ == "__main__":
    main()
