// The consuming side of the NATS bus: one fetch thread per durable pull consumer; each message is
// handled on the io executor and acknowledged, retried later (nak with delay) or dead-lettered.
#include <algorithm>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "platform/bus/nats_internal.hpp"
#include "platform/log/log.hpp"

namespace ordo::bus {
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {
constexpr int kFetchBatch = 128;
constexpr std::int64_t kFetchWaitMs = 500;  // also bounds how long the bus's destructor waits
constexpr int kFailuresBeforeRebind = 3;
constexpr std::chrono::milliseconds kFirstRetryDelay{100};
constexpr std::chrono::milliseconds kMaxRetryDelay{5000};
constexpr std::size_t kMaxReasonLength = 512;

// Counts a message in flight until its handling ends, however it ends.
class InFlight {
 public:
  explicit InFlight(std::shared_ptr<NatsConsumer> consumer) : consumer_(std::move(consumer)) {}
  ~InFlight() {
    std::lock_guard lock(consumer_->mutex);
    --consumer_->in_flight;
    consumer_->wake.notify_all();
  }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  std::shared_ptr<NatsConsumer> consumer_;
};

struct Delivery {
  std::uint64_t attempt = 1;     // NumDelivered
  std::uint64_t stream_seq = 0;  // identifies the message in the stream
};

Delivery delivery_of(natsMsg* msg) {
  Delivery delivery;
  jsMsgMetaData* meta = nullptr;
  if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
    delivery.attempt = meta->NumDelivered;
    delivery.stream_seq = meta->Sequence.Stream;
  }
  jsMsgMetaData_Destroy(meta);
  return delivery;
}

std::chrono::milliseconds retry_delay(std::uint64_t attempt) {
  auto delay = kFirstRetryDelay;
  for (std::uint64_t i = 1; i < attempt && delay < kMaxRetryDelay; ++i) {
    delay *= 2;
  }
  return std::min(delay, kMaxRetryDelay);
}

// A header value: one line, bounded.
std::string header_value(std::string text) {
  std::replace(text.begin(), text.end(), '\r', ' ');
  std::replace(text.begin(), text.end(), '\n', ' ');
  if (text.size() > kMaxReasonLength) {
    text.resize(kMaxReasonLength);
  }
  return text;
}

// Publishes the raw message on the service's dead-letter subject; false if that failed (the
// caller then naks, and the next delivery tries again).
asio::awaitable<bool> dead_letter(std::shared_ptr<NatsShared> shared, const NatsConsumer& consumer,
                                  natsMsg* msg, Delivery delivery, std::string reason) {
  log::warn(consumer.service, "event moved to the dead-letter subject",
            {{"type", consumer.type}, {"stream_seq", delivery.stream_seq}, {"reason", reason}});
  std::string subject = shared->names.dead_subject(consumer.service);
  std::string payload(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
  NatsShared::Headers headers;
  headers.emplace_back("Nats-Msg-Id", consumer.durable + ":" + std::to_string(delivery.stream_seq));
  headers.emplace_back("Ordo-Dead-Reason", header_value(std::move(reason)));
  headers.emplace_back("Ordo-Dead-Consumer", consumer.service);
  headers.emplace_back("Ordo-Event-Subject", natsMsg_GetSubject(msg));
  headers.emplace_back("Ordo-Attempts", std::to_string(delivery.attempt));
  std::string failure;
  try {
    co_await NatsShared::publish(std::move(shared), std::move(subject), std::move(payload),
                                 std::move(headers));
  } catch (const std::exception& e) {
    failure = e.what();
  }
  if (!failure.empty()) {
    log::warn(consumer.service, "cannot publish to the dead-letter subject; will retry",
              {{"type", consumer.type}, {"error", failure}});
    co_return false;
  }
  co_return true;
}

enum class Outcome { handled, retry, dead };

asio::awaitable<void> handle(std::shared_ptr<NatsShared> shared,
                             std::shared_ptr<NatsConsumer> consumer, MsgPtr msg) {
  InFlight counted(consumer);
  Delivery delivery = delivery_of(msg.get());
  std::string_view text(natsMsg_GetData(msg.get()),
                        static_cast<std::size_t>(natsMsg_GetDataLength(msg.get())));
  std::string reason;
  std::optional<CloudEvent> event = parse_event(text, &reason);
  Outcome outcome = Outcome::dead;
  bool unavailable = false;  // a dependency was down: this attempt does not count
  if (event) {
    try {
      co_await consumer->handler->handler(*event);
      outcome = Outcome::handled;
    } catch (const Unavailable& e) {
      reason = e.what();
      outcome = Outcome::retry;
      unavailable = true;
    } catch (const PoisonEvent& e) {
      reason = std::string("poison: ") + e.what();
    } catch (const std::exception& e) {
      reason = e.what();
      outcome = Outcome::retry;
    }
  } else {
    reason = "unreadable event: " + reason;
  }
  if (outcome == Outcome::retry && !unavailable &&
      delivery.attempt >= static_cast<std::uint64_t>(shared->options.max_deliver)) {
    reason = "failed " + std::to_string(delivery.attempt) + " times: " + reason;
    outcome = Outcome::dead;
  }
  if (outcome == Outcome::retry) {
    log::warn(
        consumer->service, "event handler failed; will retry",
        {{"type", consumer->type}, {"attempt", delivery.attempt}, {"error", header_value(reason)}});
  }
  if (outcome == Outcome::dead) {
    bool buried = co_await dead_letter(shared, *consumer, msg.get(), delivery, reason);
    if (!buried) {
      outcome = Outcome::retry;
    }
  }
  natsStatus status = NATS_OK;
  switch (outcome) {
    case Outcome::handled:
      status = natsMsg_Ack(msg.get(), nullptr);
      break;
    case Outcome::dead:
      status = natsMsg_Term(msg.get(), nullptr);
      break;
    case Outcome::retry:
      status = natsMsg_NakWithDelay(msg.get(), retry_delay(delivery.attempt).count(), nullptr);
      break;
  }
  if (status != NATS_OK) {
    // The server redelivers after AckWait; the handler's inbox makes that harmless.
    log::debug(consumer->service, "cannot acknowledge a NATS message",
               {{"error", status_text(status)}});
  }
  msg.reset();  // before `shared`: the message refers to the subscription
}

// Creates the durable consumer, or finds it (another instance created it; or updates one made
// with other options). Called after every (re)connection: a server that lost its store has lost
// the consumer too, and fetching from a missing consumer just times out.
bool ensure_consumer(NatsShared& shared, NatsConsumer& consumer) {
  jsConsumerConfig config;
  jsConsumerConfig_Init(&config);
  config.Durable = consumer.durable.c_str();
  config.FilterSubject = consumer.filter.c_str();
  config.DeliverPolicy = js_DeliverAll;
  config.AckPolicy = js_AckExplicit;
  config.AckWait = std::chrono::nanoseconds(shared.options.ack_wait).count();
  // No server-side MaxDeliver: the handler's attempts are counted here (NumDelivered) and the
  // last failure goes to the dead-letter subject, so an event is never silently dropped when
  // that publish fails or an instance dies while handling it.
  config.MaxAckPending = static_cast<std::int64_t>(shared.options.max_ack_pending);
  jsConsumerInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const char* stream = shared.names.events_stream.c_str();
  natsStatus status = js_AddConsumer(&info, shared.js.load(), stream, &config, nullptr, &code);
  if (status != NATS_OK) {
    status = js_UpdateConsumer(&info, shared.js.load(), stream, &config, nullptr, &code);
  }
  jsConsumerInfo_Destroy(info);
  if (status != NATS_OK) {
    log::warn(consumer.service, "cannot create the NATS consumer",
              {{"durable", consumer.durable}, {"error", status_text(status, code)}});
  }
  return status == NATS_OK;
}

// Binds a pull subscription to the existing consumer: destroying a subscription that did not
// create its consumer never deletes it.
bool bind(NatsShared& shared, NatsConsumer& consumer) {
  jsSubOptions sub_options;
  jsSubOptions_Init(&sub_options);
  sub_options.Stream = shared.names.events_stream.c_str();
  sub_options.Consumer = consumer.durable.c_str();
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus status =
      js_PullSubscribe(&consumer.subscription, shared.js.load(), consumer.filter.c_str(),
                       consumer.durable.c_str(), nullptr, &sub_options, &code);
  if (status != NATS_OK) {
    consumer.subscription = nullptr;
    log::warn(consumer.service, "cannot bind the NATS consumer",
              {{"durable", consumer.durable}, {"error", status_text(status, code)}});
    return false;
  }
  return true;
}

// Waits until none of the consumer's messages is in flight (they refer to its subscription).
void drain_in_flight(NatsShared& shared, NatsConsumer& consumer) {
  std::unique_lock lock(consumer.mutex);
  consumer.wake.wait(lock, [&] { return consumer.in_flight == 0 || shared.stopping; });
}

// Waits for room; returns how many messages may be fetched (0 when stopping).
int free_slots(NatsShared& shared, NatsConsumer& consumer) {
  std::unique_lock lock(consumer.mutex);
  consumer.wake.wait(
      lock, [&] { return consumer.in_flight < consumer.max_in_flight || shared.stopping; });
  if (shared.stopping) {
    return 0;
  }
  return std::min(consumer.max_in_flight - consumer.in_flight, kFetchBatch);
}

void dispatch(NatsShared& shared, const std::shared_ptr<NatsConsumer>& consumer, natsMsg* raw) {
  MsgPtr msg(raw);
  {
    std::lock_guard lock(consumer->mutex);
    ++consumer->in_flight;
  }
  asio::co_spawn(shared.executor, handle(shared.shared_from_this(), consumer, std::move(msg)),
                 asio::detached);
}

// The set-up generation once the bus is ready; 0 when not (yet) or stopping.
std::uint64_t wait_until_ready(NatsShared& shared) {
  std::unique_lock lock(shared.mutex);
  shared.wake.wait_for(lock, 1s, [&] { return shared.stopping || shared.ready; });
  return shared.ready && !shared.stopping ? shared.generation : 0;
}
}  // namespace

void run_consumer(NatsShared& shared, std::shared_ptr<NatsConsumer> consumer) {
  int failures = 0;
  std::uint64_t checked_generation = 0;
  while (!shared.stopping) {
    std::uint64_t generation = wait_until_ready(shared);
    if (generation == 0) {
      continue;
    }
    if (consumer->subscription != nullptr && failures >= kFailuresBeforeRebind) {
      // The subscription itself may be broken: bind again.
      drain_in_flight(shared, *consumer);
      if (shared.stopping) {
        break;
      }
      natsSubscription_Destroy(consumer->subscription);
      consumer->subscription = nullptr;
      failures = 0;
    }
    if (generation != checked_generation) {
      if (!ensure_consumer(shared, *consumer)) {
        shared.wait_or_stop(500ms);
        continue;
      }
      checked_generation = generation;
    }
    if (consumer->subscription == nullptr && !bind(shared, *consumer)) {
      shared.wait_or_stop(500ms);
      continue;
    }
    int slots = free_slots(shared, *consumer);
    if (slots == 0) {
      continue;
    }
    natsMsgList list{nullptr, 0};
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus status =
        natsSubscription_Fetch(&list, consumer->subscription, slots, kFetchWaitMs, &code);
    for (int i = 0; i < list.Count; ++i) {
      dispatch(shared, consumer, list.Msgs[i]);
      list.Msgs[i] = nullptr;
    }
    natsMsgList_Destroy(&list);
    if (status == NATS_OK || status == NATS_TIMEOUT) {
      failures = 0;
      continue;
    }
    ++failures;
    if (failures == 1) {
      log::debug(consumer->service, "NATS fetch failed",
                 {{"durable", consumer->durable}, {"error", status_text(status, code)}});
    }
    shared.wait_or_stop(std::min(100ms * failures, std::chrono::milliseconds(1000)));
  }
}

}  // namespace ordo::bus
