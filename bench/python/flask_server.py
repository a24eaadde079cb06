"""The REST server a protoapi user would otherwise write in Python: flask-restful under gunicorn.

It serves protoapi's benchmark API (bench/src/bin/protoapi_server.rs) for bench/run.sh, with the
same JSON bodies byte for byte: `POST /echo` (JSON), `GET /users/<id>?verbose=&limit=&tag=` and
`POST /signup` (urlencoded form).

    bench/.venv/bin/gunicorn --chdir bench/python -k gthread -w 1 --threads 4 \
        --no-control-socket -b 127.0.0.1:9302 flask_server:app

One worker process: the benchmark gives the server one core, and more processes on it measured
no faster. gthread, because it keeps connections alive (the sync worker closes each after one
request: 4 times slower here). 4 threads: the handlers never wait and the GIL runs one thread at
a time, yet with wrk's 64 connections 4 threads served ~15% more than 1 or 2 (more requests per
turn of the worker's poll loop), and 8 no more than 4.
--no-control-socket: gunicorn 27 otherwise opens ~/.gunicorn/gunicorn.ctl, one path for all.
"""

import json

from flask import Flask, request
from flask_restful import Api, Resource

app = Flask(__name__)
api = Api(app)


@api.representation("application/json")
def output_json(data, code, headers=None):
    """Compact UTF-8 JSON as protoapi writes it (flask-restful's own adds a newline)."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return app.response_class(body, code, headers, mimetype="application/json")


def message(**fields):
    """A message in protoapi's JSON: fields at their default left out, u64 as strings."""
    return {k: str(v) if type(v) is int else v for k, v in fields.items() if v}


def flag(value):
    return value in ("true", "1", "on")


class Echo(Resource):
    def post(self):
        req = request.get_json()
        return message(id=int(req.get("id", 0)), message=f"hello {req.get('name', '')}",
                       tags=req.get("tags", []), payload=req.get("payload", ""))


class User(Resource):
    def get(self, id):
        args = request.args
        tags = [args.get("tag", "")] * min(args.get("limit", 0, type=int), 4) if flag(args.get("verbose")) else []
        return message(id=id, name=f"user {id}", email=f"user{id}@example.com", tags=tags)


class Signup(Resource):
    def post(self):
        form = request.form
        if form.get("age", 0, type=int) < 13:
            return {"code": "invalid_argument", "message": "too young", "details": []}, 400
        subscribed = " (subscribed)" if flag(form.get("subscribe")) else ""
        return message(message=f"welcome {form.get('name', '')} <{form.get('email', '')}>{subscribed}")


api.add_resource(Echo, "/echo")
api.add_resource(User, "/users/<int:id>")
api.add_resource(Signup, "/signup")
