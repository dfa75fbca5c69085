"""server.py's listening socket: the connections it accepts get TCP_NODELAY from asyncio (issue 12), which a
socket made with proto 0 (uvicorn's --workers before #3149) does not: every keep-alive response then waited for
the client's delayed ACK."""
import asyncio
import socket

import server


async def nodelay_of_accepted(listener: socket.socket) -> int:
    seen = asyncio.get_running_loop().create_future()

    async def accepted(reader, writer):
        seen.set_result(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()

    srv = await asyncio.start_server(accepted, sock=listener)
    port = listener.getsockname()[1]
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    value = await asyncio.wait_for(seen, 5)
    writer.close()
    srv.close()
    await srv.wait_closed()
    return value


async def test_connections_accepted_on_our_socket_have_tcp_nodelay():
    ours = server.listening_socket("127.0.0.1", 0)
    assert ours.proto == socket.IPPROTO_TCP
    assert await nodelay_of_accepted(ours) != 0


async def test_a_proto_zero_socket_would_leave_nagle_on():
    bare = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    bare.bind(("127.0.0.1", 0))
    bare.listen()
    assert await nodelay_of_accepted(bare) == 0  # the mechanism the first test guards against
