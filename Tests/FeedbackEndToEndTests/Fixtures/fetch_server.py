#!/usr/bin/env python3
"""Survey-platform look-alike for the `feedback` fetch end-to-end tests.

Listens on 127.0.0.1 on a port the system picks, prints that port on the first line of stdout, and
serves until stdin closes (the test process ends or stops it) or it is terminated.

    fetch_server.py --shared DIR [--token SECRET] [--user NAME] [--cert CERT.pem --key KEY.pem]

DIR holds kobotoolbox_api_v2_assets_data.json and odkcentral_odata_submissions.json: the system
fields of their first records are the templates for the records served here, so they look real.

One list of submissions, empty at start, backs every data route. Submission i (1-based) has a uuid5
id, time 2025-04-01T00:00:00Z + 37*i s, department [tax, market, social, housing, health][i % 5],
overall (7*i) % 5 + 1 (9 when added with invalid_every=K and i % K == 0), and a comment that is
absent when i % 3 == 0, Chinese when i % 3 == 1 and English when i % 3 == 2.

Data routes (GET). With --token they need `Token SECRET`, `Bearer SECRET` or Basic USER:SECRET
(USER from --user, default collector), else 401 {"detail": ...}.

    /api/v2/assets/<uid>/data[/]   Kobo: format=json, limit (1..30000, 100), start (0),
                                   query={"_submission_time": {"$gt"|"$gte": "..."}},
                                   sort={"_submission_time"|"_id": 1|-1};
                                   {"count", "next", "previous", "results"}
    /v1/projects/<p>/forms/<f>.svc/Submissions
                                   ODK OData: $top, $skip, $skiptoken (01 + base64 {"offset": n}),
                                   $count=true, $filter=__system/submissionDate gt|ge <ISO>
                                   (anything else 501), $orderby=__system/submissionDate [asc|desc];
                                   {"@odata.context", "value", "@odata.count"?, "@odata.nextLink"?}
    /json/submissions              generic: page (1-based), per_page (100), since (ISO, exclusive);
                                   {"data": {"items"}, "links": {"next"}, "meta": {"total"}}

Control routes (GET, no auth, JSON replies):

    /_control/add?count=N[&invalid_every=K]     append N submissions (K applies to this call only)
    /_control/fault?fail_page=K&status=S&times=T[&retry_after=R]
                                   page K of any data route answers S with an HTML body the first
                                   T times (T=-1: always), with Retry-After R if given
    /_control/fault?mode=M[&bytes=N][&clear=1]
                                   M = html (200 login page), loop (next links go to page 2),
                                   other_host (next links go to example.org:<port>),
                                   file_redirect (302 to file:///etc/passwd), oversize (N bytes of
                                   JSON-ish chunked body), stall (headers announcing 100000 bytes,
                                   then nothing), echo_auth (500, an HTML page quoting the
                                   Authorization header), normal; clear=1 also drops fail_page
    /_control/stats                {"requests", "records_sent", "total", "last_query", "authorization_seen"}
    /_control/reset_stats          zero requests and records_sent

requests and records_sent count only 200 replies that carry records.
"""

import argparse
import base64
import binascii
import copy
import json
import os
import re
import select
import ssl
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit

EPOCH = datetime(2025, 4, 1, tzinfo=timezone.utc)
DEPARTMENTS = ["tax", "market", "social", "housing", "health"]
MODES = {"normal", "html", "loop", "other_host", "file_redirect", "oversize", "stall", "echo_auth"}
KOBO_PATH = re.compile(r"^/api/v2/assets/[^/]+/data/?$")
ODK_PATH = re.compile(r"^/v1/projects/([^/]+)/forms/([^/]+)\.svc/Submissions$")
ODK_FILTER = re.compile(r"^\s*__system/submissionDate\s+(gt|ge)\s+(\S+)\s*$")
ODK_ORDERBY = re.compile(r"^\s*__system/submissionDate(?:\s+(asc|desc))?\s*$")
ODK_UNSUPPORTED = {"message": "The given OData filter expression uses features not supported by this server.",
                   "code": 501.1}
LOGIN_PAGE = (b"<!DOCTYPE html><html><head><title>Sign in | KoboToolbox</title></head><body>"
              b"<form method=\"post\" action=\"/accounts/login/\"><input name=\"username\">"
              b"<input name=\"password\" type=\"password\"><button>Login</button></form></body></html>")

lock = threading.Lock()  # guards everything in state
state = {"subs": [], "requests": 0, "records_sent": 0, "last_query": "", "auth_seen": False,
         "mode": "normal", "bytes": 8 * 1024 * 1024, "fail": None}
config = {"token": None, "user": "collector", "tls": None, "port": 0, "kobo": {}, "odk": {}}


class BadRequest(Exception):
    def __init__(self, status, body):
        super().__init__(status)
        self.status, self.body = status, body


def make_submission(i, invalid_every):
    if i % 3 == 0:
        comment = None
    elif i % 3 == 1:
        comment = f"办事窗口第{i}号：材料要求不一致"
    else:
        comment = f"Counter {i}: staff were friendly, but the queue was slow"
    overall = 9 if invalid_every > 0 and i % invalid_every == 0 else (i * 7) % 5 + 1
    return {"i": i, "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"feedback-fixture/{i}")),
            "time": EPOCH + timedelta(seconds=37 * i), "department": DEPARTMENTS[i % 5],
            "overall": overall, "comment": comment}


def kobo_time(s):
    return s["time"].strftime("%Y-%m-%dT%H:%M:%S")


def device_time(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + ".000+00:00"


def kobo_record(s):
    record = copy.deepcopy(config["kobo"])
    record.update({"_id": s["i"], "_uuid": s["uuid"], "_submission_time": kobo_time(s),
                   "meta/instanceID": "uuid:" + s["uuid"],
                   "start": device_time(s["time"] - timedelta(seconds=90)),
                   "end": device_time(s["time"] - timedelta(seconds=5)),
                   "service/department": s["department"], "service/overall": str(s["overall"])})
    if s["comment"] is not None:
        record["service/comment"] = s["comment"]
    return record


def odk_record(s):
    record = copy.deepcopy(config["odk"])
    instance = "uuid:" + s["uuid"]
    record["__id"] = instance
    record["meta"] = {**record.get("meta", {}), "instanceID": instance}
    record["__system"] = {**record.get("__system", {}),
                          "submissionDate": s["time"].strftime("%Y-%m-%dT%H:%M:%S") + ".000Z"}
    record["start"] = device_time(s["time"] - timedelta(seconds=90))
    record["end"] = device_time(s["time"] - timedelta(seconds=5))
    record["service"] = {"department": s["department"], "overall": s["overall"], "comment": s["comment"]}
    return record


def int_param(query, name, default, low, high, error):
    text = query.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < low or (high is not None and value > high):
        raise BadRequest(400, error(f"Invalid value for {name}: {text!r}"))
    return value


def parse_instant(text):
    moment = datetime.fromisoformat(text)  # ValueError when malformed; 3.11 accepts a trailing Z
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def kobo_conditions(text):
    if text is None:
        return []
    try:
        spec = json.loads(text)
    except ValueError as error:
        raise BadRequest(400, {"detail": f"Your query is not valid JSON: {error}"})
    conditions = []
    for field, test in (spec.items() if isinstance(spec, dict) else [(None, None)]):
        if field != "_submission_time" or not isinstance(test, dict):
            raise BadRequest(400, {"detail": f"Unsupported query: {text}"})
        for op, value in test.items():
            if op not in ("$gt", "$gte") or not isinstance(value, str):
                raise BadRequest(400, {"detail": f"Unsupported query operator: {op}"})
            conditions.append((op, value))
    return conditions


def kobo_descending(text):
    if text is None:
        return False
    try:
        spec = json.loads(text)
    except ValueError as error:
        raise BadRequest(400, {"detail": f"Your sort is not valid JSON: {error}"})
    if not isinstance(spec, dict) or len(spec) != 1 or not set(spec) <= {"_submission_time", "_id"} \
            or list(spec.values())[0] not in (1, -1):
        raise BadRequest(400, {"detail": f"Unsupported sort: {text}"})
    return list(spec.values())[0] == -1


def decode_skiptoken(token):
    try:
        if not token.startswith("01"):
            raise ValueError(token)
        offset = json.loads(base64.b64decode(token[2:], validate=True))["offset"]
        if not isinstance(offset, int) or offset < 0:
            raise ValueError(token)
        return offset
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise BadRequest(400, {"message": "The $skiptoken given is not valid.", "code": 400.1})


def encode_skiptoken(offset):
    return "01" + base64.b64encode(json.dumps({"offset": offset}, separators=(",", ":")).encode()).decode()


def with_param(pairs, name, value, drop=()):
    return [(k, v) for k, v in pairs if k != name and k not in drop] + [(name, str(value))]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        # The TLS handshake happens here, on the connection's own thread, so a client that rejects the
        # certificate cannot hold up the accepting thread.
        if config["tls"] is not None:
            self.request = config["tls"].wrap_socket(self.request, server_side=True)
        super().setup()

    def log_message(self, format, *args):
        pass

    def send(self, status, body=b"", content_type="text/plain", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, status, value, content_type="application/json"):
        self.send(status, json.dumps(value, ensure_ascii=False).encode(), content_type)

    def do_GET(self):
        parts = urlsplit(self.path)
        try:
            if parts.path.startswith("/_control/"):
                self.control(parts.path, dict(parse_qsl(parts.query)))
            elif KOBO_PATH.match(parts.path):
                self.data(parts, self.kobo)
            elif ODK_PATH.match(parts.path):
                self.data(parts, self.odk)
            elif parts.path == "/json/submissions":
                self.data(parts, self.generic)
            else:
                self.send_json(404, {"detail": "Not found."})
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, ssl.SSLError):
            self.close_connection = True  # the client gave up: nothing to answer

    # --- control -----------------------------------------------------------------------------

    def control(self, path, q):
        try:
            if path == "/_control/add":
                count, every = int(q.get("count", "1")), int(q.get("invalid_every", "0"))
                with lock:
                    first = len(state["subs"]) + 1
                    state["subs"].extend(make_submission(i, every) for i in range(first, first + count))
                    reply = {"total": len(state["subs"])}
            elif path == "/_control/fault":
                mode = q.get("mode")
                if mode is not None and mode not in MODES:
                    raise ValueError(mode)
                size = int(q["bytes"]) if "bytes" in q else None
                fail = None
                if "fail_page" in q:
                    fail = {"page": int(q["fail_page"]), "status": int(q.get("status", "500")),
                            "times": int(q.get("times", "1")), "retry_after": q.get("retry_after")}
                with lock:
                    state["mode"] = mode or state["mode"]
                    state["bytes"] = size if size is not None else state["bytes"]
                    if q.get("clear") == "1":
                        state["fail"] = None
                    state["fail"] = fail or state["fail"]
                reply = {"ok": True}
            elif path == "/_control/stats":
                with lock:
                    reply = {"requests": state["requests"], "records_sent": state["records_sent"],
                             "total": len(state["subs"]), "last_query": state["last_query"],
                             "authorization_seen": state["auth_seen"]}
            elif path == "/_control/reset_stats":
                with lock:
                    state["requests"] = state["records_sent"] = 0
                reply = {"ok": True}
            else:
                return self.send_json(404, {"detail": "Not found."})
        except ValueError as error:
            return self.send_json(400, {"detail": f"Bad control value: {error}"})
        self.send_json(200, reply)

    # --- data ------------------------------------------------------------------------------------

    def authorized(self):
        token = config["token"]
        if token is None:
            return True
        scheme, _, value = self.headers.get("Authorization", "").partition(" ")
        scheme, value = scheme.lower(), value.strip()
        if scheme in ("token", "bearer"):
            return value == token
        if scheme == "basic":
            try:
                return base64.b64decode(value, validate=True).decode() == f"{config['user']}:{token}"
            except (ValueError, binascii.Error):
                return False
        return False

    def data(self, parts, route):
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        with lock:
            state["last_query"] = parts.query
            state["auth_seen"] = state["auth_seen"] or "Authorization" in self.headers
            mode, size, subs = state["mode"], state["bytes"], list(state["subs"])
        if not self.authorized():
            return self.send_json(401, {"detail": "Authentication credentials were not provided."})
        if mode == "echo_auth":
            # A careless server that quotes the credentials back in its error page.
            body = f"<html><body>500: bad request with Authorization: {self.headers.get('Authorization')}</body></html>"
            return self.send(500, body.encode(), "text/html; charset=utf-8")
        if mode in ("html", "file_redirect", "oversize", "stall"):
            return self.fault(mode, size)
        try:
            page, reply, sent, content_type = route(parts.path, pairs, dict(pairs), subs, mode)
        except BadRequest as error:
            return self.send_json(error.status, error.body)
        with lock:
            fail = dict(state["fail"]) if state["fail"] else None
            failing = fail is not None and fail["page"] == page and fail["times"] != 0
            if failing and fail["times"] > 0:
                state["fail"]["times"] -= 1
            if not failing:
                state["requests"] += 1
                state["records_sent"] += sent
        if failing:
            status = fail["status"]
            body = f"<html><body><h1>{status} Error</h1><p>Please try again later.</p></body></html>"
            retry = [("Retry-After", fail["retry_after"])] if fail["retry_after"] is not None else []
            return self.send(status, body.encode(), "text/html; charset=utf-8", retry)
        self.send_json(200, reply, content_type)

    def origin(self, other_host=False):
        scheme = "https" if config["tls"] is not None else "http"
        host = self.headers.get("Host", f"127.0.0.1:{config['port']}")
        if other_host:
            host = f"example.org:{config['port']}"
        return f"{scheme}://{host}"

    def link(self, mode, path, pairs, quote_via=quote_plus):
        return self.origin(mode == "other_host") + path + "?" + urlencode(pairs, quote_via=quote_via)

    def kobo(self, path, pairs, q, subs, mode):
        if q.get("format", "json") != "json":
            raise BadRequest(400, {"detail": f"Unsupported format: {q['format']}"})
        error = lambda message: {"detail": message}
        limit = int_param(q, "limit", 100, 1, 30000, error)
        start = int_param(q, "start", 0, 0, None, error)
        conditions = kobo_conditions(q.get("query"))
        rows = [s for s in subs
                if all(kobo_time(s) > v if op == "$gt" else kobo_time(s) >= v for op, v in conditions)]
        if kobo_descending(q.get("sort")):
            rows.reverse()
        page_rows = rows[start:start + limit]
        at = lambda offset: self.link(mode, path, with_param(pairs, "start", offset))
        following = limit if mode == "loop" else start + limit if start + limit < len(rows) else None
        reply = {"count": len(rows), "next": at(following) if following is not None else None,
                 "previous": at(max(0, start - limit)) if start > 0 else None,
                 "results": [kobo_record(s) for s in page_rows]}
        return start // limit + 1, reply, len(page_rows), "application/json"

    def odk(self, path, pairs, q, subs, mode):
        error = lambda message: {"message": message, "code": 400.1}
        top = int_param(q, "$top", None, 0, None, error)
        if "$skiptoken" in q:
            offset = decode_skiptoken(q["$skiptoken"])
        else:
            offset = int_param(q, "$skip", 0, 0, None, error)
        rows = subs
        if "$filter" in q:
            match = ODK_FILTER.match(q["$filter"])
            try:
                since = parse_instant(match.group(2)) if match else None
            except ValueError:
                since = None
            if since is None:
                raise BadRequest(501, ODK_UNSUPPORTED)
            rows = [s for s in rows if s["time"] > since or (match.group(1) == "ge" and s["time"] == since)]
        if "$orderby" in q:
            order = ODK_ORDERBY.match(q["$orderby"])
            if not order:
                raise BadRequest(501, ODK_UNSUPPORTED)
            if order.group(1) == "desc":
                rows = rows[::-1]
        end = len(rows) if top is None else offset + top
        page_rows = rows[offset:end]
        project, form = ODK_PATH.match(path).groups()
        context = f"{self.origin()}/v1/projects/{project}/forms/{form}.svc/$metadata#Submissions"
        reply = {"@odata.context": context,
                 "value": [odk_record(s) for s in page_rows]}
        if q.get("$count") == "true":
            reply["@odata.count"] = len(rows)
        following = (top or 100) if mode == "loop" else end if top is not None and end < len(rows) else None
        if following is not None:
            kept = with_param(pairs, "$skiptoken", encode_skiptoken(following), drop=("$skip",))
            reply["@odata.nextLink"] = self.link(mode, path, kept, quote_via=quote)
        return (offset // top + 1 if top else 1), reply, len(page_rows), "application/json; charset=utf-8"

    def generic(self, path, pairs, q, subs, mode):
        error = lambda message: {"error": message}
        page = int_param(q, "page", 1, 1, None, error)
        per_page = int_param(q, "per_page", 100, 1, 30000, error)
        try:
            since = parse_instant(q["since"]) if "since" in q else None
        except ValueError:
            raise BadRequest(400, error(f"Invalid value for since: {q['since']!r}"))
        rows = [s for s in subs if since is None or s["time"] > since]
        first = (page - 1) * per_page
        page_rows = rows[first:first + per_page]
        following = 2 if mode == "loop" else page + 1 if first + per_page < len(rows) else None
        next_link = self.link(mode, path, with_param(pairs, "page", following)) if following else None
        reply = {"data": {"items": [kobo_record(s) for s in page_rows]}, "links": {"next": next_link},
                 "meta": {"total": len(rows)}}
        return page, reply, len(page_rows), "application/json"

    # --- faults ----------------------------------------------------------------------------------

    def fault(self, mode, size):
        if mode == "html":
            self.send(200, LOGIN_PAGE, "text/html; charset=utf-8")
        elif mode == "file_redirect":
            self.send(302, b"", "text/html", [("Location", "file:///etc/passwd")])
        elif mode == "oversize":
            self.send_oversize(size)
        else:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.flush()
            # Send nothing more. The client should not speak on this connection until it has the
            # body, so the socket turning readable means it hung up (EOF, reset or TLS close_notify).
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                if select.select([self.connection], [], [], 0.25)[0]:
                    break
            self.close_connection = True

    def send_oversize(self, size):
        head = b'{"count": 1, "next": null, "previous": null, "results": [{"_id": 1, "filler": "'
        tail = b'"}]}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def chunk(piece):
            if piece:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))

        if size <= len(head) + len(tail):
            chunk((head + tail)[:size])
        else:
            chunk(head)
            left, block = size - len(head) - len(tail), b"x" * 65536
            while left > 0:
                chunk(block[:min(left, len(block))])
                left -= min(left, len(block))
            chunk(tail)
        self.wfile.write(b"0\r\n\r\n")


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # Failed handshakes and clients that hang up are part of the tests, not errors to print.
        pass


def main():
    parser = argparse.ArgumentParser(description="Kobo / ODK Central / JSON look-alike for fetch tests")
    parser.add_argument("--shared", required=True, help="folder holding the real-world reply samples")
    parser.add_argument("--token")
    parser.add_argument("--user", default="collector")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    args = parser.parse_args()

    with open(os.path.join(args.shared, "kobotoolbox_api_v2_assets_data.json"), encoding="utf-8") as file:
        kobo = json.load(file)["results"][0]
    with open(os.path.join(args.shared, "odkcentral_odata_submissions.json"), encoding="utf-8") as file:
        odk = json.load(file)["value"][0]
    # Keep the system fields only; the samples' own answers belong to other forms.
    config["kobo"] = {k: v for k, v in kobo.items()
                      if k.startswith("_") or k in ("formhub/uuid", "meta/instanceID", "start", "end")}
    config["odk"] = {k: v for k, v in odk.items() if k.startswith("__") or k in ("meta", "start", "end")}
    config["token"], config["user"] = args.token, args.user
    if args.cert:
        config["tls"] = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        config["tls"].load_cert_chain(args.cert, args.key)

    server = Server(("127.0.0.1", 0), Handler)
    config["port"] = server.server_address[1]

    def stop_when_stdin_closes():
        # The test process holds the other end of stdin: when it goes, so does this server.
        sys.stdin.buffer.read()
        os._exit(0)

    threading.Thread(target=stop_when_stdin_closes, daemon=True).start()
    print(config["port"], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
