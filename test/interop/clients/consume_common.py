"""Shared by the consume_* scripts: the JSON report of what a third-party consumer read.

Every byte string is base64, so that the test sees the bytes exactly as the client received them.
"""
import base64
import json
import sys


def b64(value):
    if value is None:
        return None
    if isinstance(value, str):
        value = value.encode("utf-8")
    return base64.b64encode(bytes(value)).decode("ascii")


def emit(messages):
    """messages: dicts with value, key, headers [(name, bytes|str)], content_type, message_id."""
    out = []
    for message in messages:
        out.append({
            "value": b64(message["value"]),
            "key": b64(message.get("key")),
            "headers": [[name, b64(value if not isinstance(value, (int, float)) else str(value))] for name, value in message.get("headers", [])],
            "content_type": message.get("content_type"),
            "message_id": message.get("message_id"),
        })
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


def read_request():
    """One JSON document on stdin: {"url", "topic", "count", "queue"?}."""
    return json.load(sys.stdin)
