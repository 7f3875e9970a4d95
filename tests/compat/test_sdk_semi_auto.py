"""The official OpenAlgo Python SDK in semi-auto mode against a live algogate.

Run by scripts/compat.sh with ALGOGATE_HOST, ALGOGATE_APIKEY, ALGOGATE_USERNAME and
ALGOGATE_PASSWORD. Switches the user to semi_auto through the session routes (login, then
POST /apikey/mode with the CSRF token), checks that the SDK's placeorder gets the queued
response and executes nothing, approves it in the Action Center, and always switches the
user back to auto so the other compat tests are unaffected. Exits non-zero on failure.
"""

import json
import os
import sys
import urllib.error
import urllib.request

from openalgo import api

HOST = os.environ["ALGOGATE_HOST"].rstrip("/")
KEY = os.environ["ALGOGATE_APIKEY"]
USER = os.environ["ALGOGATE_USERNAME"]
PASSWORD = os.environ["ALGOGATE_PASSWORD"]

failures = []


def check(cond, name, detail=""):
    if cond:
        print(f"  ok   {name}")
    else:
        print(f"  FAIL {name}: {detail}")
        failures.append(name)


class Session:
    """A cookie-keeping session client for the web UI's JSON routes."""

    def __init__(self):
        self.cookies = {}
        self.csrf = None

    def request(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(HOST + path, data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if self.cookies:
            req.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if self.csrf:
            req.add_header("X-CSRFToken", self.csrf)
        try:
            res = urllib.request.urlopen(req, timeout=30)
        except urllib.error.HTTPError as e:
            res = e
        for sc in res.headers.get_all("Set-Cookie") or []:
            name, _, value = sc.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()
        raw = res.read()
        try:
            return res.status, json.loads(raw)
        except ValueError:
            return res.status, raw.decode(errors="replace")

    def refresh_csrf(self):
        status, body = self.request("GET", "/auth/csrf-token")
        assert status == 200, body
        self.csrf = body["csrf_token"]

    def login(self):
        self.refresh_csrf()
        status, body = self.request("POST", "/auth/login", {"username": USER, "password": PASSWORD})
        assert status == 200, body
        self.refresh_csrf()

    def set_mode(self, mode):
        return self.request("POST", "/apikey/mode", {"mode": mode})


def main():
    client = api(api_key=KEY, host=HOST)
    web = Session()
    web.login()
    before = len(client.orderbook()["data"]["orders"])
    status, body = web.set_mode("semi_auto")
    check(status == 200 and body.get("mode") == "semi_auto", "switch to semi_auto", body)
    try:
        queued = client.placeorder(strategy="SDK", symbol="SBIN", action="BUY", exchange="NSE",
                                   price_type="MARKET", product="MIS", quantity=3)
        check(queued.get("status") == "success"
              and queued.get("mode") == "semi_auto"
              and queued.get("message") == "Order queued for approval in Action Center"
              and isinstance(queued.get("pending_order_id"), int)
              and "orderid" not in queued, "placeorder is queued", queued)
        pid = queued.get("pending_order_id")
        check(len(client.orderbook()["data"]["orders"]) == before, "nothing executed yet")

        # Reads still run immediately.
        funds = client.funds()
        check(funds.get("status") == "success", "funds runs in semi_auto", funds)

        status, data = web.request("GET", "/action-center/api/data?status=pending")
        rows = [o for o in data["data"]["orders"] if o["id"] == pid] if status == 200 else []
        check(len(rows) == 1 and rows[0]["symbol"] == "SBIN" and rows[0]["quantity"] == 3,
              "the order is pending in the Action Center", data)
        check(KEY not in json.dumps(data), "the API key is not stored with the order")
        status, count = web.request("GET", "/action-center/count")
        check(status == 200 and count.get("count", 0) >= 1, "pending count", count)

        status, approved = web.request("POST", f"/action-center/approve/{pid}", {})
        check(status == 200 and approved.get("status") == "success", "approve", approved)
        oid = approved.get("broker_order_id")
        st = client.orderstatus(order_id=oid, strategy="SDK")
        check(st.get("status") == "success" and st["data"]["quantity"] == 3,
              "the approved order is in the broker", st)
        status, again = web.request("POST", f"/action-center/approve/{pid}", {})
        check(status == 400 and again == {"status": "error", "message": "Failed to approve order"},
              "a second approval is refused", again)
        check(len(client.orderbook()["data"]["orders"]) == before + 1, "executed exactly once")
    finally:
        status, body = web.set_mode("auto")
        check(status == 200 and body.get("mode") == "auto", "switch back to auto", body)
    placed = client.placeorder(strategy="SDK", symbol="SBIN", action="SELL", exchange="NSE",
                               price_type="MARKET", product="MIS", quantity=3)
    check("orderid" in placed, "auto mode executes again", placed)
    if failures:
        print(f"sdk semi-auto: {len(failures)} failure(s)")
        sys.exit(1)
    print("sdk semi-auto: all passed")


if __name__ == "__main__":
    main()
