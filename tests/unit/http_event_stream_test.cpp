// Server-Sent Events encoding, Last-Event-ID parsing, the stream cap and chunk framing.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "platform/http/client.hpp"
#include "platform/http/event_stream.hpp"
#include "platform/http/server.hpp"
#include "platform/http/wire.hpp"

namespace ordo::http::sse {
namespace {

TEST(SseFormat, IdEventAndOneDataLine) {
  Event event;
  event.id = "2";
  event.event = "order.confirmed";
  event.data = R"({"status":"confirmed"})";
  EXPECT_EQ(format(event), "id: 2\nevent: order.confirmed\ndata: {\"status\":\"confirmed\"}\n\n");
}

TEST(SseFormat, MultiLineDataBecomesSeveralDataLines) {
  Event event;
  event.data = "one\ntwo\r\nthree\rfour";
  EXPECT_EQ(format(event), "data: one\ndata: two\ndata: three\ndata: four\n\n");
}

TEST(SseFormat, EmptyDataAndTrailingBreakKeepTheirLines) {
  Event empty;
  EXPECT_EQ(format(empty), "data: \n\n");
  Event trailing;
  trailing.data = "last\n";
  EXPECT_EQ(format(trailing), "data: last\ndata: \n\n");
}

TEST(SseFormat, RetryComesFirst) {
  Event event;
  event.retry_ms = 2000;
  event.id = "1";
  event.data = "x";
  EXPECT_EQ(format(event), "retry: 2000\nid: 1\ndata: x\n\n");
}

TEST(SseFormat, LineBreaksCannotForgeFields) {
  Event event;
  event.id = "1\nevent: forged";
  event.event = "order.created\r\ndata: forged";
  event.data = "x";
  auto text = format(event);
  EXPECT_EQ(text, "id: 1event: forged\nevent: order.createddata: forged\ndata: x\n\n");
  Event with_nul;
  with_nul.id = std::string("a\0b", 3);
  with_nul.data = "x";
  EXPECT_EQ(format(with_nul), "data: x\n\n");  // clients ignore an id holding NUL
}

TEST(SseFormat, Comment) {
  EXPECT_EQ(comment("heartbeat"), ": heartbeat\n\n");
  EXPECT_EQ(comment("a\nb"), ": ab\n\n");
}

TEST(LastEventId, NonNegativeIntegers) {
  EXPECT_EQ(parse_last_event_id("0"), 0);
  EXPECT_EQ(parse_last_event_id("42"), 42);
  EXPECT_EQ(parse_last_event_id(" 7 "), 7);
  EXPECT_EQ(parse_last_event_id("999999999999999999"), 999999999999999999);
}

TEST(LastEventId, AnythingElseStartsAfresh) {
  for (std::string_view bad :
       {"", " ", "-1", "1.5", "1e3", "abc", "12abc", "+3", "0x10", "9999999999999999999", "1 2"}) {
    EXPECT_FALSE(parse_last_event_id(bad)) << bad;
  }
}

TEST(StreamSlots, RefusesPastTheLimitAndGivesSlotsBack) {
  StreamSlots slots(2);
  auto first = slots.take();
  auto second = slots.take();
  ASSERT_TRUE(first);
  ASSERT_TRUE(second);
  EXPECT_FALSE(slots.take());
  EXPECT_EQ(slots.open(), 2u);
  first.reset();
  EXPECT_EQ(slots.open(), 1u);
  auto third = slots.take();
  EXPECT_TRUE(third);
  auto copy = third;  // copies share one slot
  third.reset();
  EXPECT_EQ(slots.open(), 2u);
}

TEST(StreamResponse, HeadOfAStream) {
  auto response = stream_response([](StreamWriter&) -> boost::asio::awaitable<void> { co_return; });
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.headers.get_or("Content-Type", ""), "text/event-stream; charset=utf-8");
  EXPECT_EQ(response.headers.get_or("Cache-Control", ""), "no-store");
  EXPECT_TRUE(response.stream);
  auto head = wire::stream_response_head(response, 11);
  EXPECT_NE(head.find("Transfer-Encoding: chunked\r\n"), std::string::npos);
  EXPECT_NE(head.find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(head.find("Content-Length"), std::string::npos);
  auto old = wire::stream_response_head(response, 10);
  EXPECT_EQ(old.find("Transfer-Encoding"), std::string::npos);  // close-delimited
  EXPECT_EQ(old.find("Content-Length"), std::string::npos);
}

TEST(Chunk, SizeInHexThenBytes) {
  EXPECT_EQ(wire::chunk("hello"), "5\r\nhello\r\n");
  EXPECT_EQ(wire::chunk(std::string(26, 'x')), "1a\r\n" + std::string(26, 'x') + "\r\n");
}

// ---- a stream through the real server and client -------------------------------------------

namespace asio = boost::asio;
using namespace std::chrono_literals;

asio::awaitable<void> pause(std::chrono::milliseconds duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

// Three events 50 ms apart, then the end.
asio::awaitable<void> three_events(StreamWriter& writer) {
  for (int i = 1; i <= 3; ++i) {
    Event event;
    event.id = std::to_string(i);
    event.data = "event " + std::to_string(i);
    if (!co_await writer.write(format(event)))
      co_return;
    co_await pause(50ms);
  }
}

// Waits until the server stops (or the client leaves).
asio::awaitable<void> until_ended(StreamWriter& writer) {
  co_await writer.write(comment("open"));
  asio::steady_timer timer(co_await asio::this_coro::executor, 10s);
  writer.on_end([&timer] { timer.cancel(); });
  if (writer.ending())
    co_return;  // it ended before the callback was there to cancel a wait
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

// Collects what a relayed stream writes.
class Collector final : public StreamWriter {
 public:
  asio::awaitable<bool> write(std::string_view bytes) override {
    pieces.emplace_back(bytes);
    co_return true;
  }
  bool ending() const override { return false; }
  void on_end(std::function<void()>) override {}
  std::vector<std::string> pieces;
};

class StreamingServer : public ::testing::Test {
 protected:
  StreamingServer() : server_(io_.get_executor(), "stream", ServerLimits{}, routes().handler({})) {
    origin_ = "http://127.0.0.1:" + std::to_string(server_.listen("127.0.0.1", 0));
  }

  static Router routes() {
    Router router;
    router.get("/three", [](Request&) -> asio::awaitable<Response> {
      co_return stream_response([](StreamWriter& w) { return three_events(w); });
    });
    router.get("/forever", [](Request&) -> asio::awaitable<Response> {
      co_return stream_response([](StreamWriter& w) { return until_ended(w); });
    });
    return router;
  }

  template <typename Body>
  void run(Body body) {
    bool done = false;
    std::exception_ptr failure;
    asio::co_spawn(io_, body(), [&](std::exception_ptr e) {
      failure = e;
      done = true;
      io_.stop();
    });
    io_.run_for(10s);
    ASSERT_TRUE(done);
    if (failure)
      std::rethrow_exception(failure);
  }

  asio::io_context io_;
  Server server_;
  std::string origin_;
};

TEST_F(StreamingServer, APlainClientReadsTheWholeChunkedBody) {
  run([this]() -> asio::awaitable<void> {
    Client client(io_.get_executor());
    OutgoingRequest request;
    request.target = "/three";
    auto response = co_await client.send(origin_, std::move(request));
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body,
              "id: 1\ndata: event 1\n\nid: 2\ndata: event 2\n\nid: 3\ndata: event 3\n\n");
    EXPECT_FALSE(response.stream);
    co_await server_.shutdown(1s);
  });
}

TEST_F(StreamingServer, ARelayingClientGetsTheBodyAsItComes) {
  run([this]() -> asio::awaitable<void> {
    ClientOptions options;
    options.relay_event_streams = true;
    Client client(io_.get_executor(), options);
    OutgoingRequest request;
    request.target = "/three";
    auto response = co_await client.send(origin_, std::move(request));
    EXPECT_EQ(response.status, 200);
    EXPECT_TRUE(response.body.empty());
    EXPECT_TRUE(is_event_stream(response.headers.get_or("Content-Type", "")));
    EXPECT_TRUE(response.stream);
    Collector collector;
    co_await response.stream(collector);
    std::string all;
    for (const auto& piece : collector.pieces)
      all += piece;
    EXPECT_EQ(all, "id: 1\ndata: event 1\n\nid: 2\ndata: event 2\n\nid: 3\ndata: event 3\n\n");
    EXPECT_GE(collector.pieces.size(), 3u);  // one piece per write: nothing held back
    co_await server_.shutdown(1s);
  });
}

TEST_F(StreamingServer, ShutdownEndsAnOpenStreamWithoutWaitingForTheGrace) {
  run([this]() -> asio::awaitable<void> {
    ClientOptions options;
    options.relay_event_streams = true;
    Client client(io_.get_executor(), options);
    OutgoingRequest request;
    request.target = "/forever";
    auto response = co_await client.send(origin_, std::move(request));
    EXPECT_TRUE(response.stream);
    if (!response.stream)
      co_return;
    // The server stops while the stream is open; the relay ends when the server's stream does.
    asio::co_spawn(io_, server_.shutdown(30s), asio::detached);
    Collector collector;
    co_await response.stream(collector);  // returns long before the grace or the 10 s timer
  });
}

TEST(EventStreamType, Recognised) {
  EXPECT_TRUE(is_event_stream("text/event-stream"));
  EXPECT_TRUE(is_event_stream("Text/Event-Stream; charset=utf-8"));
  EXPECT_FALSE(is_event_stream("text/event-streams"));
  EXPECT_FALSE(is_event_stream("application/json"));
}

}  // namespace
}  // namespace ordo::http::sse
