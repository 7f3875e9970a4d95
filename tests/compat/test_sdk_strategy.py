"""The official OpenAlgo Python SDK's Strategy client against a live algogate.

Run by scripts/compat.sh (ALGOGATE_HOST, ALGOGATE_APIKEY, ALGOGATE_USERNAME,
ALGOGATE_PASSWORD). Creates a BOTH-mode strategy through the session routes, sends
`Strategy(host_url, webhook_id).strategyorder(...)` alerts, checks the positions they
made with the SDK's api client, then deletes the strategy. Exits non-zero on failure.
"""

import sys

from openalgo import Strategy, api

from test_sdk_semi_auto import HOST, KEY, Session, check, failures


def position(client):
    r = client.openposition(strategy="SDK", symbol="INFY", exchange="NSE", product="MIS")
    return int(r.get("quantity", 0))


def main():
    client = api(api_key=KEY, host=HOST)
    web = Session()
    web.login()
    status, made = web.request("POST", "/strategy/api/strategy", {
        "name": "sdk", "platform": "python", "trading_mode": "BOTH", "strategy_type": "positional",
        "mappings": [{"symbol": "INFY", "exchange": "NSE", "quantity": 4, "product_type": "MIS"}],
    })
    check(status == 200 and made.get("status") == "success", "create a strategy", made)
    sid = made["data"]["strategy_id"]
    try:
        status, one = web.request("GET", f"/strategy/api/strategy/{sid}")
        webhook_id = one["strategy"]["webhook_path"].rsplit("/", 1)[1]
        check(KEY not in str(one), "the strategy does not expose the API key")
        start = position(client)
        strategy = Strategy(host_url=HOST, webhook_id=webhook_id)
        r = strategy.strategyorder("INFY", "buy", 4)
        check(r == {"message": "Order queued successfully for INFY"}, "BUY to +4", r)
        check(position(client) == start + 4, "the position is +4", position(client))
        r = strategy.strategyorder("INFY", "SELL", 0)
        check(r == {"message": "Order queued successfully for INFY"}, "SELL to 0", r)
        check(position(client) == start, "the position is flat again", position(client))
        try:
            strategy.strategyorder("INFY", "SELL", -40)
            check(False, "a size above the mapping is refused")
        except Exception as e:  # the SDK raises on an HTTP error status
            check("403" in str(e), "a size above the mapping is refused", e)
    finally:
        status, body = web.request("POST", f"/strategy/{sid}/delete", {})
        check(status == 200, "delete the strategy", body)
    if failures:
        print(f"sdk strategy: {len(failures)} failure(s)")
        sys.exit(1)
    print("sdk strategy: all passed")


if __name__ == "__main__":
    main()
