"""Reference responder: a Python asyncio echo (DatagramProtocol), as in the Python docs."""
import asyncio
import sys


class Echo(asyncio.DatagramProtocol):
    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.transport.sendto(data, addr)


async def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
        Echo, local_addr=("127.0.0.1", port))
    print("listening on %s:%d" % transport.get_extra_info("sockname"), flush=True)
    await asyncio.Event().wait()


asyncio.run(main())
