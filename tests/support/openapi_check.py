#!/usr/bin/python3
"""Checks HTTP exchanges with the real server, and the webhooks it sent,
against docs/openapi.yaml; prints every difference and exits 1 if there is one.

    openapi_check.py docs/openapi.yaml exchanges.json

exchanges.json: {"requests": [{"method", "target", "requestContentType",
"requestBody", "status", "responseHeaders": {name: value}, "responseBody"}],
"webhooks": [{"headers": {name: value}, "body"}], "requireAllOperations": bool}

Runs on Debian's python3-yaml and python3-jsonschema (OpenAPI 3.1 schemas are
JSON Schema 2020-12), so it needs nothing from PyPI.
"""
import json
import re
import sys
import urllib.parse

import jsonschema
import yaml


def pointer(doc, ref):
    node = doc
    for part in ref.lstrip("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def deref(doc, node):
    while isinstance(node, dict) and "$ref" in node:
        node = pointer(doc, node["$ref"])
    return node


class Checker:
    def __init__(self, doc):
        self.doc = doc
        self.problems = []
        self.resolver = jsonschema.RefResolver(base_uri="", referrer=doc)
        self.paths = [(self.template_regex(path), path, item) for path, item in doc["paths"].items()]

    @staticmethod
    def template_regex(path):
        return re.compile("^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(path)) + "$")

    def problem(self, where, text):
        self.problems.append(f"{where}: {text}")

    def validate(self, where, schema, value):
        validator = jsonschema.Draft202012Validator(
            schema, resolver=self.resolver, format_checker=jsonschema.FormatChecker())
        for error in sorted(validator.iter_errors(value), key=lambda e: list(e.path)):
            at = "/".join(str(p) for p in error.absolute_path)
            self.problem(where, f"at /{at}: {error.message}")

    def parameters(self, path_item, operation):
        listed = [deref(self.doc, p) for p in path_item.get("parameters", [])]
        listed += [deref(self.doc, p) for p in operation.get("parameters", [])]
        return listed

    def check_media(self, where, content, content_type, body, what):
        """A body against the media types `content` documents."""
        if not content:
            if body:
                self.problem(where, f"{what} has a body but none is documented")
            return
        if not body:
            self.problem(where, f"{what} has no body; documented: {', '.join(content)}")
            return
        media = content.get(content_type) or content.get(content_type.split(";")[0].strip())
        if media is None:
            self.problem(where, f"{what} Content-Type {content_type!r} is not documented "
                                f"({', '.join(content)})")
            return
        base = content_type.split(";")[0].strip()
        if base == "application/json":
            try:
                value = json.loads(body)
            except ValueError as error:
                self.problem(where, f"{what} is not JSON: {error}")
                return
        elif base == "application/x-www-form-urlencoded":
            value = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
        else:
            value = body
        self.validate(f"{where} {what}", media.get("schema", {}), value)

    def check_request(self, exchange, seen):
        method = exchange["method"].lower()
        split = urllib.parse.urlsplit(exchange["target"])
        where = f"{exchange['method']} {exchange['target']} -> {exchange['status']}"
        found = [(path, item) for regex, path, item in self.paths if regex.match(split.path)]
        if not found:
            return self.problem(where, "path not in the document")
        path, item = found[0]
        operation = item.get(method)
        if operation is None:
            if exchange["status"] == 405:
                return  # the server's answer for a method the path does not have
            return self.problem(where, f"method not documented for {path}")
        seen.add((path, method))
        params = self.parameters(item, operation)
        names = re.findall(r"\{([^}]+)\}", path)
        values = re.match(self.template_regex(path).pattern.replace("[^/]+", "([^/]+)"),
                          split.path).groups()
        for name, value in zip(names, values):
            declared = [p for p in params if p["in"] == "path" and p["name"] == name]
            if not declared:
                self.problem(where, f"path parameter {name} not declared")
            else:
                self.validate(f"{where} path {name}", declared[0]["schema"], value)
        for name, value in urllib.parse.parse_qsl(split.query, keep_blank_values=True):
            declared = [p for p in params if p["in"] == "query" and p["name"] == name]
            if not declared:
                self.problem(where, f"query parameter {name} not declared")
                continue
            schema = deref(self.doc, declared[0]["schema"])
            if schema.get("type") == "integer" and re.fullmatch(r"-?\d+", value):
                value = int(value)
            self.validate(f"{where} query {name}", declared[0]["schema"], value)

        # A request the server refused may break the schema: that is why it was refused.
        request_body = deref(self.doc, operation.get("requestBody", {}))
        if exchange["status"] >= 400:
            pass
        elif exchange.get("requestBody"):
            self.check_media(where, request_body.get("content", {}),
                             exchange.get("requestContentType", ""), exchange["requestBody"],
                             "request")
        elif request_body.get("required"):
            self.problem(where, "request body is required but none was sent")

        responses = operation.get("responses", {})
        response = responses.get(str(exchange["status"])) or responses.get("default")
        if response is None:
            return self.problem(where, f"status {exchange['status']} not documented "
                                       f"({', '.join(responses)})")
        response = deref(self.doc, response)
        headers = {k.lower(): v for k, v in exchange.get("responseHeaders", {}).items()}
        for name, header in response.get("headers", {}).items():
            header = deref(self.doc, header)
            if name.lower() not in headers:
                if header.get("required"):
                    self.problem(where, f"response header {name} missing")
                continue
            self.validate(f"{where} header {name}", header.get("schema", {}),
                          headers[name.lower()])
        if exchange["method"] != "HEAD":
            self.check_media(where, response.get("content", {}), headers.get("content-type", ""),
                             exchange.get("responseBody", ""), "response")

    def check_webhook(self, delivery, seen):
        headers = {k.lower(): v for k, v in delivery["headers"].items()}
        try:
            body = json.loads(delivery["body"])
        except ValueError as error:
            return self.problem("webhook", f"body is not JSON: {error}")
        kind = body.get("type")
        where = f"webhook {kind} {body.get('id')}"
        hook = self.doc.get("webhooks", {}).get(kind)
        if hook is None:
            return self.problem(where, "event type not in the document's webhooks")
        seen.add(kind)
        operation = hook["post"]
        for param in operation.get("parameters", []):
            param = deref(self.doc, param)
            if param["in"] != "header":
                continue
            value = headers.get(param["name"].lower())
            if value is None:
                if param.get("required"):
                    self.problem(where, f"header {param['name']} missing")
                continue
            self.validate(f"{where} header {param['name']}", param["schema"], value)
        content = deref(self.doc, operation["requestBody"])["content"]
        self.check_media(where, content, headers.get("content-type", ""), delivery["body"], "body")


def main():
    with open(sys.argv[1]) as file:
        doc = yaml.safe_load(file)
    with open(sys.argv[2]) as file:
        exchanges = json.load(file)
    checker = Checker(doc)
    operations, events = set(), set()
    for exchange in exchanges.get("requests", []):
        checker.check_request(exchange, operations)
    for delivery in exchanges.get("webhooks", []):
        checker.check_webhook(delivery, events)
    if exchanges.get("requireAllOperations"):
        for path, item in doc["paths"].items():
            for method in ("get", "put", "post", "delete", "patch", "head"):
                if method in item and (path, method) not in operations:
                    checker.problem(f"{method.upper()} {path}", "never exercised")
    print(f"checked {len(exchanges.get('requests', []))} exchanges "
          f"({len(operations)} operations) and {len(exchanges.get('webhooks', []))} webhooks "
          f"({', '.join(sorted(events)) or 'none'})")
    for line in checker.problems:
        print("DIFFERENCE " + line)
    return 1 if checker.problems else 0


if __name__ == "__main__":
    sys.exit(main())
