import asyncio
import socketio


url = 'http://127.0.0.1:8080'

sio = socketio.AsyncClient()

@sio.event
async def connect():
    # 注册connect事件
    print(f'connected 2 {url}')

@sio.event
async def disconnect():
    # 注册disconnect事件
    print(f'disconnect from {url}')

def main():
    loop = asyncio.get_event_loop()

    loop.run_until_complete(sio.connect(url))
    loop.run_until_complete(test(sio, loop))
    loop.run_until_complete(sio.disconnect())


async def test(sio, loop):
    await sio.send('Hello guys. ')
    await sio.send({'msg': 'use message channel 2 send data'})
    await sio.emit('msg', 'use msg channel 2 send data')

if __name__ == '__main__':
    main()
