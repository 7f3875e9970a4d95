"""The official openalgo SDK against a live algogate: place, modify, cancel, and read the
order book, trade book, position book, holdings, funds and order status.

Run by scripts/compat.sh with ALGOGATE_HOST and ALGOGATE_APIKEY set.
"""

import os
import sys

from openalgo import api


def check(cond, what, resp):
    if not cond:
        print(f"FAIL: {what}: {resp!r}")
        sys.exit(1)
    print(f"ok: {what}")


def main():
    client = api(api_key=os.environ["ALGOGATE_APIKEY"], host=os.environ["ALGOGATE_HOST"])

    funds = client.funds()
    check(funds.get("status") == "success" and funds.get("mode") == "analyze", "funds", funds)
    start = funds["data"]["availablecash"]
    check(isinstance(start, float) and start > 0, "funds are floats", funds)

    placed = client.placeorder(strategy="SDK", symbol="SBIN", action="BUY", exchange="NSE",
                               price_type="MARKET", product="MIS", quantity=2)
    check(placed.get("status") == "success" and len(placed.get("orderid", "")) == 14,
          "placeorder MARKET", placed)
    market_id = placed["orderid"]

    status = client.orderstatus(order_id=market_id, strategy="SDK")
    check(status.get("status") == "success"
          and status["data"]["order_status"] == "complete"
          and status["data"]["pricetype"] == "MARKET", "orderstatus", status)

    resting = client.placeorder(strategy="SDK", symbol="SBIN", action="BUY", exchange="NSE",
                                price_type="LIMIT", product="CNC", quantity=3, price="1")
    check(resting.get("status") == "success", "placeorder LIMIT", resting)
    rid = resting["orderid"]

    modified = client.modifyorder(order_id=rid, strategy="SDK", symbol="SBIN", action="BUY",
                                  exchange="NSE", price_type="LIMIT", product="CNC",
                                  quantity=5, price="2")
    check(modified.get("status") == "success"
          and modified.get("message") == "Order modified successfully", "modifyorder", modified)
    st = client.orderstatus(order_id=rid, strategy="SDK")
    check(st["data"]["quantity"] == 5 and st["data"]["price"] == 2.0
          and st["data"]["order_status"] == "open", "modified values", st)

    cancelled = client.cancelorder(order_id=rid, strategy="SDK")
    check(cancelled.get("status") == "success" and cancelled.get("orderid") == rid,
          "cancelorder", cancelled)

    book = client.orderbook()
    ids = [o["orderid"] for o in book["data"]["orders"]]
    check(book.get("status") == "success" and market_id in ids and rid in ids, "orderbook", book)
    stats = book["data"]["statistics"]
    check(stats["total_completed_orders"] >= 1, "orderbook statistics", stats)

    trades = client.tradebook()
    check(trades.get("status") == "success"
          and any(t["orderid"] == market_id for t in trades["data"]), "tradebook", trades)

    positions = client.positionbook()
    sbin = [p for p in positions["data"] if p["symbol"] == "SBIN" and p["product"] == "MIS"]
    check(positions.get("status") == "success" and sbin and sbin[0]["quantity"] >= 2,
          "positionbook", positions)

    pos = client.openposition(strategy="SDK", symbol="SBIN", exchange="NSE", product="MIS")
    check(pos.get("status") == "success" and int(pos["quantity"]) >= 2, "openposition", pos)

    smart = client.placesmartorder(strategy="SDK", symbol="SBIN", action="SELL", exchange="NSE",
                                   price_type="MARKET", product="MIS", quantity=0,
                                   position_size=0)
    check(smart.get("status") == "success", "placesmartorder to flat", smart)
    pos = client.openposition(strategy="SDK", symbol="SBIN", exchange="NSE", product="MIS")
    check(int(pos["quantity"]) == 0, "flat after smart order", pos)

    holdings = client.holdings()
    check(holdings.get("status") == "success" and "holdings" in holdings["data"],
          "holdings", holdings)

    funds = client.funds()
    d = funds["data"]
    check(abs(d["availablecash"] + d["utiliseddebits"] - d["total_realized_pnl"] - 10_000_000)
          < 0.05, "funds invariant", d)

    bad = client.orderstatus(order_id="1", strategy="SDK")
    check(bad.get("status") == "error", "unknown order is an error", bad)
    print("sdk orders: all passed")


if __name__ == "__main__":
    main()
