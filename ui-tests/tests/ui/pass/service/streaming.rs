use futures_util::StreamExt as _;
use protoapi::{Context, Status, Streaming};

#[protoapi::message]
pub struct Num {
    pub n: i32,
}

/// Every streaming shape, over gRPC, WebSocket and (server streams) HTTP.
#[protoapi::service(package = "demo", socket = "/ws")]
pub trait Numbers {
    #[protoapi(get = "/count/:n", wbsk)]
    async fn count(&self, num: Num) -> Result<Streaming<Num>, Status>;
    #[protoapi(wbsk = "/sum")]
    async fn sum(&self, ctx: Context, nums: Streaming<Num>) -> Result<Num, Status>;
    async fn double(&self, nums: protoapi::Streaming<Num>) -> Result<protoapi::Streaming<Num>, Status>;
}

struct Impl;

impl Numbers for Impl {
    async fn count(&self, num: Num) -> Result<Streaming<Num>, Status> {
        Ok(Streaming::iter((1..=num.n).map(|n| Num { n })))
    }
    async fn sum(&self, _ctx: Context, mut nums: Streaming<Num>) -> Result<Num, Status> {
        let mut n = 0;
        while let Some(num) = nums.message().await? {
            n += num.n;
        }
        Ok(Num { n })
    }
    async fn double(&self, nums: Streaming<Num>) -> Result<Streaming<Num>, Status> {
        Ok(Streaming::new(nums.map(|num| num.map(|num| Num { n: num.n * 2 }))))
    }
}

async fn clients(client: NumbersClient) -> Result<(), Status> {
    let mut counted = client.count(Num { n: 3 }).await?.into_inner();
    while let Some(_num) = counted.message().await? {}
    let _sum: Num = client.sum(futures_util::stream::iter([Num { n: 1 }])).await?.into_inner();
    let _doubled: Streaming<Num> = client.double(futures_util::stream::empty()).await?.into_inner();
    Ok(())
}

fn main() {
    let _server = protoapi::Server::builder().add(NumbersServer::new(Impl));
    let _ = clients;
}
