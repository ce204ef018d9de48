"""Reads what a producer script is asked to send: one JSON document on stdin.

{"url": "...", "topic": "...", "options": {...}, "messages": [
  {"value": "<base64>", "key": "<base64>", "headers": [["name", "<base64>"], ...],
   "content_type": "...", "message_id": "...", "fields": [["name", "<base64>"], ...]}]}

Every byte string travels as base64 so that binary keys, values and headers reach the client
exactly as the test wrote them.
"""
import base64
import json
import sys


def read_spec():
    spec = json.load(sys.stdin)
    for message in spec["messages"]:
        message["value"] = base64.b64decode(message["value"])
        if message.get("key") is not None:
            message["key"] = base64.b64decode(message["key"])
        message["headers"] = [(name, base64.b64decode(value)) for name, value in message.get("headers", [])]
        message["fields"] = [(name, base64.b64decode(value)) for name, value in message.get("fields", [])]
    return spec


def report(results):
    """One JSON document on stdout: what the broker answered for each message, in order."""
    json.dump(results, sys.stdout)
    sys.stdout.write("\n")
