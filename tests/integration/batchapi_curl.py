"""batchapi_curl.py - the simulator's three batch APIs driven with curl, for sim_batchapi.sh.

Imported by the Python snippets of sim_batchapi.sh (not a test itself). Every HTTP call is
a curl process; Python only builds the bodies and reads the answers. The wire formats are
/work's batch_wire.md ones (docs/batch-api-facts.md sections 1-3)."""
import base64
import json
import os
import subprocess
import tempfile
import time

from test_images import png

TMP = tempfile.mkdtemp(prefix="batchapi.", dir=os.environ.get("TMPDIR", "/tmp"))
IMAGES = [png(40, 30), png(50, 60), png(70, 20)]
# a PNG declared as a JPEG: every protocol's online endpoint refuses it (400)
BAD_IMAGE = ("image/jpeg", png(30, 30))
FINAL = {"completed", "failed", "expired", "cancelled", "ended",
         "BATCH_STATE_SUCCEEDED", "BATCH_STATE_FAILED", "BATCH_STATE_EXPIRED",
         "BATCH_STATE_CANCELLED"}


class Resp:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    def lines(self):
        return [json.loads(x) for x in self.body.decode().splitlines() if x.strip()]

    def __repr__(self):
        return f"<{self.status} {self.body[:600]!r}>"


def curl(method, url, headers=(), data=None, form=()):
    """One HTTP call through curl: data (bytes or str) as the body, form as -F fields."""
    fd, body_path = tempfile.mkstemp(dir=TMP)
    os.close(fd)
    hdr_path = body_path + ".hdr"
    cmd = ["curl", "-s", "-S", "-X", method, "-o", body_path, "-D", hdr_path,
           "-w", "%{http_code}", "--max-time", "60"]
    for h in headers:
        cmd += ["-H", h]
    if data is not None:
        data_path = body_path + ".in"
        with open(data_path, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        cmd += ["--data-binary", "@" + data_path]
    for field in form:
        cmd += ["-F", field]
    out = subprocess.run(cmd + [url], check=True, capture_output=True, text=True).stdout
    headers_out = {}
    for line in open(hdr_path, encoding="latin-1").read().splitlines()[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers_out[k.strip().lower()] = v.strip()
    with open(body_path, "rb") as f:
        return Resp(int(out), headers_out, f.read())


def b64(data):
    return base64.b64encode(data).decode()


def stats(root):
    return curl("GET", root + "/sim/stats").json()


class OpenAI:
    name = "openai"

    def __init__(self, root, key="secret"):
        self.root, self.base, self.key = root, root + "/v1", key

    def auth(self, key=None):
        key = self.key if key is None else key
        return [f"Authorization: Bearer {key}"] if key else []

    def body(self, image, mime="image/png"):
        url = f"data:{mime};base64,{b64(image)}"
        return {"model": "gpt-4o", "max_tokens": 300, "messages": [{"role": "user", "content": [
            {"type": "text", "text": "Describe this product"},
            {"type": "image_url", "image_url": {"url": url}}]}]}

    def online(self, body):
        return curl("POST", self.base + "/chat/completions",
                    self.auth() + ["Content-Type: application/json"], json.dumps(body))

    def upload(self, text, key=None):
        path = os.path.join(TMP, "upload.jsonl")
        with open(path, "w") as f:
            f.write(text)
        return curl("POST", self.base + "/files", self.auth(key),
                    form=["purpose=batch", f"file=@{path};filename=in.jsonl"])

    def jsonl(self, lines):
        return "".join(json.dumps({"custom_id": cid, "method": "POST",
                                   "url": "/v1/chat/completions", "body": body}) + "\n"
                       for cid, body in lines)

    def create_from_text(self, text, metadata=None):
        up = self.upload(text)
        assert up.status == 200, up
        f = up.json()
        assert f["object"] == "file" and f["purpose"] == "batch", f
        assert f["bytes"] == len(text.encode()) and f["status"] == "processed", f
        return curl("POST", self.base + "/batches", self.auth() + ["Content-Type: application/json"],
                    json.dumps({"input_file_id": f["id"], "endpoint": "/v1/chat/completions",
                                "completion_window": "24h",
                                "metadata": metadata or {"visionbatch_job": "j1"}}))

    def create(self, lines):
        return self.create_from_text(self.jsonl(lines))

    def submit(self, lines):
        r = self.create(lines)
        assert r.status == 200, r
        b = r.json()
        assert b["object"] == "batch" and b["id"].startswith("batch_"), b
        assert b["status"] in ("validating", "in_progress"), b
        return b["id"]

    def poll(self, bid):
        r = curl("GET", f"{self.base}/batches/{bid}", self.auth())
        assert r.status == 200, r
        return r.json()

    def state(self, obj):
        return obj["status"]

    def cancel(self, bid):
        return curl("POST", f"{self.base}/batches/{bid}/cancel", self.auth())

    def file(self, fid):
        if fid is None:
            return []
        r = curl("GET", f"{self.base}/files/{fid}/content", self.auth())
        assert r.status == 200, r
        return r.lines()

    def results(self, obj):
        """Every line: (custom_id, kind, status, body): kind ok / failed / not_run."""
        out = []
        for line in self.file(obj["output_file_id"]):
            assert line["error"] is None and line["response"]["status_code"] == 200, line
            out.append((line["custom_id"], "ok", 200, line["response"]["body"]))
        for line in self.file(obj["error_file_id"]):
            assert line["id"].startswith("batch_req_"), line
            if line["response"] is None:
                out.append((line["custom_id"], "not_run", line["error"]["code"], None))
            else:
                assert line["error"] is None, line
                out.append((line["custom_id"], "failed", line["response"]["status_code"],
                            line["response"]["body"]))
        return out

    def usage(self, answer):
        return answer["usage"]

    def text(self, answer):
        return answer["choices"][0]["message"]["content"]


class Anthropic:
    name = "anthropic"

    def __init__(self, root, key="secret"):
        self.root, self.base, self.key = root, root + "/v1/messages", key

    def auth(self, key=None):
        key = self.key if key is None else key
        return (["x-api-key: " + key] if key else []) + ["anthropic-version: 2023-06-01"]

    def body(self, image, mime="image/png"):
        return {"model": "claude-sonnet-4-5", "max_tokens": 300, "messages": [
            {"role": "user", "content": [
                {"type": "text", "text": "Describe this product"},
                {"type": "image", "source": {"type": "base64", "media_type": mime,
                                             "data": b64(image)}}]}]}

    def online(self, body):
        return curl("POST", self.base, self.auth() + ["content-type: application/json"],
                    json.dumps(body))

    def create(self, lines, key=None):
        body = {"requests": [{"custom_id": cid, "params": p} for cid, p in lines]}
        return curl("POST", self.base + "/batches",
                    self.auth(key) + ["content-type: application/json"], json.dumps(body))

    def submit(self, lines):
        r = self.create(lines)
        assert r.status == 200, r
        b = r.json()
        assert b["type"] == "message_batch" and b["id"].startswith("msgbatch_"), b
        assert b["processing_status"] == "in_progress" and b["results_url"] is None, b
        assert b["request_counts"] == {"processing": len(lines), "succeeded": 0, "errored": 0,
                                       "canceled": 0, "expired": 0}, b
        return b["id"]

    def poll(self, bid):
        r = curl("GET", f"{self.base}/batches/{bid}", self.auth())
        assert r.status == 200, r
        return r.json()

    def state(self, obj):
        return obj["processing_status"]

    def cancel(self, bid):
        return curl("POST", f"{self.base}/batches/{bid}/cancel", self.auth())

    def results(self, obj):
        assert obj["results_url"].endswith(f"/v1/messages/batches/{obj['id']}/results"), obj
        r = curl("GET", f"{self.base}/batches/{obj['id']}/results", self.auth())
        assert r.status == 200, r
        out = []
        for line in r.lines():
            res = line["result"]
            if res["type"] == "succeeded":
                out.append((line["custom_id"], "ok", 200, res["message"]))
            elif res["type"] == "errored":
                assert res["error"]["type"] == "error", res
                out.append((line["custom_id"], "failed", res["error"]["error"]["type"],
                            res["error"]))
            else:
                assert set(res) == {"type"}, res
                out.append((line["custom_id"], "not_run", res["type"], None))
        return out

    def usage(self, answer):
        return answer["usage"]

    def text(self, answer):
        return answer["content"][0]["text"]


class Gemini:
    name = "gemini"
    model = "gemini-2.5-flash"

    def __init__(self, root, key="secret"):
        self.root, self.base, self.key = root, root + "/v1beta", key

    def auth(self, key=None):
        key = self.key if key is None else key
        return ["x-goog-api-key: " + key] if key else []

    def body(self, image, mime="image/png"):
        return {"contents": [{"role": "user", "parts": [
            {"text": "Describe this product"},
            {"inline_data": {"mime_type": mime, "data": b64(image)}}]}],
            "generationConfig": {"maxOutputTokens": 300}}

    def online(self, body):
        return curl("POST", f"{self.base}/models/{self.model}:generateContent",
                    self.auth() + ["Content-Type: application/json"], json.dumps(body))

    def upload(self, text, key=None):
        data = text.encode()
        start = curl("POST", self.root + "/upload/v1beta/files", self.auth(key) + [
            "X-Goog-Upload-Protocol: resumable", "X-Goog-Upload-Command: start",
            f"X-Goog-Upload-Header-Content-Length: {len(data)}",
            "X-Goog-Upload-Header-Content-Type: application/jsonl",
            "Content-Type: application/json"], json.dumps({"file": {"display_name": "vb-j1-c1"}}))
        if start.status != 200:
            return start
        url = start.headers["x-goog-upload-url"]
        assert url.startswith(self.root + "/upload/v1beta/files?upload_id="), start.headers
        assert start.headers["x-goog-upload-status"] == "active", start.headers
        return curl("POST", url, self.auth(key) + [
            "X-Goog-Upload-Command: upload, finalize", "X-Goog-Upload-Offset: 0",
            "Content-Type: application/jsonl"], data)

    def jsonl(self, lines):
        return "".join(json.dumps({"key": cid, "request": body}) + "\n" for cid, body in lines)

    def create_from_text(self, text):
        up = self.upload(text)
        assert up.status == 200, up
        f = up.json()["file"]
        assert f["name"].startswith("files/") and f["state"] == "ACTIVE", f
        assert f["sizeBytes"] == str(len(text.encode())), f
        return curl("POST", f"{self.base}/models/{self.model}:batchGenerateContent",
                    self.auth() + ["Content-Type: application/json"],
                    json.dumps({"batch": {"display_name": "vb-j1-c1",
                                          "input_config": {"file_name": f["name"]}}}))

    def create(self, lines):
        return self.create_from_text(self.jsonl(lines))

    def submit(self, lines):
        r = self.create(lines)
        assert r.status == 200, r
        op = r.json()
        assert op["name"].startswith("batches/") and op["done"] is False, op
        m = op["metadata"]
        assert m["@type"].endswith("GenerateContentBatch") and m["model"] == "models/" + self.model
        assert m["state"] in ("BATCH_STATE_PENDING", "BATCH_STATE_RUNNING"), m
        assert m["batchStats"]["requestCount"] == str(len(lines)), m
        return op["name"][len("batches/"):]

    def poll(self, bid):
        r = curl("GET", f"{self.base}/batches/{bid}", self.auth())
        assert r.status == 200, r
        return r.json()

    def state(self, obj):
        return obj["metadata"]["state"]

    def cancel(self, bid):
        return curl("POST", f"{self.base}/batches/{bid}:cancel", self.auth())

    def results(self, obj):
        assert obj["done"] is True, obj
        name = obj["response"]["responsesFile"]
        assert name == obj["metadata"]["output"]["responsesFile"], obj
        assert name == "files/batch-" + obj["name"][len("batches/"):], obj
        r = curl("GET", f"{self.root}/download/v1beta/{name}:download?alt=media", self.auth())
        assert r.status == 200, r
        out = []
        for line in r.lines():
            if "response" in line:
                out.append((line["key"], "ok", 200, line["response"]))
            else:
                e = line["error"]
                assert set(e) == {"code", "message", "status"}, e
                kind = "not_run" if e["status"] == "CANCELLED" else "failed"
                out.append((line["key"], kind, e["status"], e))
        return out

    def usage(self, answer):
        return answer["usageMetadata"]

    def text(self, answer):
        return answer["candidates"][0]["content"]["parts"][0]["text"]


def protocols(root, key="secret"):
    return [OpenAI(root, key), Anthropic(root, key), Gemini(root, key)]


def wait(p, bid, timeout=30.0):
    """Polls until final; returns (final object, the states seen in order)."""
    seen, end = [], time.monotonic() + timeout
    while True:
        obj = p.poll(bid)
        state = p.state(obj)
        if not seen or seen[-1] != state:
            seen.append(state)
        if state in FINAL:
            return obj, seen
        assert time.monotonic() < end, (p.name, bid, seen)
        time.sleep(0.05)
