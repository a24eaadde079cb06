"""Python `gql` clients call the examples over GraphQL at `/graphql`: its aiohttp transport (a
query on people, the schema fetched by introspection so that gql checks each query against
it), its requests transport (the greeter's mutation and its error), its websockets transport
over `graphql-transport-ws` (a subscription to the tasks' `watch` that hears a task PUT over
HTTP), and the auth example's bearer token on GraphQL too.

    python interop/graphql_client.py PEOPLE_ADDR GREETER_ADDR TASKS_ADDR AUTH_ADDR
"""

import asyncio
import sys

import aiohttp
from gql import Client, gql
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.exceptions import (
    TransportConnectionFailed,
    TransportQueryError,
    TransportServerError,
)
from gql.transport.requests import RequestsHTTPTransport
from gql.transport.websockets import WebsocketsTransport

people, greeter, tasks, auth = sys.argv[1:5]
passed = failed = 0

PERSON = {
    "person": {
        "name": "Rootkit",
        "age": 99,
        "sex": True,
        "hobby": ["Coding", "Badminton", "Billiards", "Reading", "Guitar"],
    }
}


def check(name, actual, expected):
    global passed, failed
    if actual == expected:
        passed += 1
        print(f"ok: {name}")
    else:
        failed += 1
        print(f"FAILED: {name}: got {actual!r}, expected {expected!r}")


async def query_people():
    transport = AIOHTTPTransport(url=f"http://{people}/graphql")
    async with Client(transport=transport, fetch_schema_from_transport=True) as session:
        answer = await session.execute(gql("query { person { name age sex hobby } }"))
        check("aiohttp query person", answer, PERSON)
        # Fields the schema does not have are refused by gql itself, from the introspection.
        try:
            await session.execute(gql("query { person { height } }"))
            check("aiohttp unknown field", "no error", "a GraphQLError")
        except Exception as error:  # graphql-core's GraphQLError
            check(
                "aiohttp unknown field",
                str(error).splitlines()[0],
                "Cannot query field 'height' on type 'Person'.",
            )


def mutate_greeter():
    transport = RequestsHTTPTransport(url=f"http://{greeter}/graphql", timeout=10)
    with Client(transport=transport) as session:
        hello = gql("mutation Hello($name: String) { sayHello(name: $name) { message } }")
        answer = session.execute(hello, variable_values={"name": "世界"})
        check("requests mutation sayHello", answer, {"sayHello": {"message": "hello 世界"}})
        try:
            session.execute(hello, variable_values={"name": ""})
            check("requests empty name", "no error", "invalid_argument")
        except TransportQueryError as error:
            check(
                "requests empty name",
                [(e["message"], e["extensions"]) for e in error.errors],
                [("name must not be empty", {"code": "invalid_argument", "details": []})],
            )
            check("requests empty name's data", error.data, {"sayHello": None})


async def watch_tasks():
    transport = WebsocketsTransport(
        url=f"ws://{tasks}/graphql",
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )
    async with Client(transport=transport) as session:
        check("websockets subprotocol", transport.subprotocol, "graphql-transport-ws")
        changes = session.subscribe(gql("subscription { watch { id name } }"))
        first = asyncio.ensure_future(anext(changes))
        async with aiohttp.ClientSession() as http:

            async def put(task_id, name):
                async with http.put(
                    f"http://{tasks}/tasks/{task_id}", data={"name": name}
                ) as response:
                    return response.status, await response.json()

            # The subscription starts when the server has read it, which no message confirms:
            # the task is PUT again until the first change arrives.
            for _ in range(100):
                check_put = await put(20, "watched over GraphQL")
                if check_put != (201, {"id": 20, "name": "watched over GraphQL"}):
                    check("PUT 20", check_put, (201, {"id": 20, "name": "watched over GraphQL"}))
                    first.cancel()
                    return
                done, _ = await asyncio.wait({first}, timeout=0.1)
                if done:
                    break
            check(
                "websockets first change",
                await asyncio.wait_for(first, 10),
                {"watch": {"id": 20, "name": "watched over GraphQL"}},
            )
            check("PUT 21", await put(21, "火锅"), (201, {"id": 21, "name": "火锅"}))
            # Past any repeat of the first PUT still under way, the next change is task 21.
            while True:
                change = await asyncio.wait_for(anext(changes), 10)
                if change != {"watch": {"id": 20, "name": "watched over GraphQL"}}:
                    break
            check("websockets next change", change, {"watch": {"id": 21, "name": "火锅"}})
        await changes.aclose()


async def auth_token():
    query = gql("query { me { name admin transport } }")
    transport = AIOHTTPTransport(
        url=f"http://{auth}/graphql", headers={"authorization": "Bearer alice-token"}
    )
    async with Client(transport=transport) as session:
        check(
            "auth with a token",
            await session.execute(query),
            {"me": {"name": "alice", "admin": True, "transport": "graphql"}},
        )
    transport = AIOHTTPTransport(
        url=f"http://{auth}/graphql", headers={"authorization": "Bearer bob-token"}
    )
    async with Client(transport=transport) as session:
        try:
            await session.execute(gql("query { admin { name } }"))
            check("auth bob's admin", "no error", "permission_denied")
        except TransportQueryError as error:
            check(
                "auth bob's admin",
                [(e["message"], e["extensions"]) for e in error.errors],
                [("administrators only", {"code": "permission_denied", "details": []})],
            )
    transport = AIOHTTPTransport(url=f"http://{auth}/graphql")
    async with Client(transport=transport) as session:
        try:
            await session.execute(query)
            check("auth without a token", "no error", 401)
        except TransportServerError as error:
            check("auth without a token", error.code, 401)
    # The WebSocket's handshake is refused the same way.
    transport = WebsocketsTransport(
        url=f"ws://{auth}/graphql", subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL]
    )
    try:
        async with Client(transport=transport):
            check("auth WebSocket without a token", "connected", "refused with 401")
    except TransportConnectionFailed as error:
        # websockets' InvalidStatus, with the handshake's answer.
        response = getattr(error.__cause__, "response", None)
        check(
            "auth WebSocket without a token",
            (getattr(response, "status_code", None), bytes(getattr(response, "body", b""))),
            (401, b'{"code":"unauthenticated","message":"missing or invalid bearer token",'
                  b'"details":[]}'),
        )
    # With the token in the handshake's headers, the socket opens (graphql-transport-ws's
    # connection_init is acknowledged).
    transport = WebsocketsTransport(
        url=f"ws://{auth}/graphql",
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
        headers={"authorization": "Bearer bob-token"},
    )
    async with Client(transport=transport):
        check("auth WebSocket with a token", transport.subprotocol, "graphql-transport-ws")


async def main():
    await query_people()
    await asyncio.to_thread(mutate_greeter)
    await asyncio.wait_for(watch_tasks(), 60)
    await auth_token()


asyncio.run(main())
print(f"gql: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
