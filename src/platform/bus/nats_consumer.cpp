// The consuming side of the NATS bus: one fetch thread per durable pull consumer; what it fetches
// is handled on the io executor as one batch, then each message is acknowledged, retried later
// (nak with delay) or dead-lettered.
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
constexpr std::int64_t kFetchWaitMs = 500;  // also bounds how long the bus's destructor waits
constexpr int kFailuresBeforeRebind = 3;
constexpr std::chrono::milliseconds kFirstRetryDelay{100};
constexpr std::chrono::milliseconds kMaxRetryDelay{5000};
constexpr std::size_t kMaxReasonLength = 512;

// Marks the consumer's batch in flight until its handling ends, however it ends.
class InFlight {
 public:
  explicit InFlight(std::shared_ptr<NatsConsumer> consumer) : consumer_(std::move(consumer)) {}
  ~InFlight() {
    std::lock_guard lock(consumer_->mutex);
    consumer_->in_flight = false;
    consumer_->wake.notify_all();
  }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  std::shared_ptr<NatsConsumer> consumer_;
};

struct MsgMeta {
  std::uint64_t attempt = 1;     // NumDelivered
  std::uint64_t stream_seq = 0;  // identifies the message in the stream
};

MsgMeta meta_of(natsMsg* msg) {
  MsgMeta meta;
  jsMsgMetaData* data = nullptr;
  if (natsMsg_GetMetaData(&data, msg) == NATS_OK) {
    meta.attempt = data->NumDelivered;
    meta.stream_seq = data->Sequence.Stream;
  }
  jsMsgMetaData_Destroy(data);
  return meta;
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
                                  natsMsg* msg, MsgMeta meta, std::string reason) {
  log::warn(consumer.service, "event moved to the dead-letter subject",
            {{"type", consumer.type}, {"stream_seq", meta.stream_seq}, {"reason", reason}});
  std::string subject = shared->names.dead_subject(consumer.service);
  std::string payload(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
  NatsShared::Headers headers;
  headers.emplace_back("Nats-Msg-Id", consumer.durable + ":" + std::to_string(meta.stream_seq));
  headers.emplace_back("Ordo-Dead-Reason", header_value(std::move(reason)));
  headers.emplace_back("Ordo-Dead-Consumer", consumer.service);
  headers.emplace_back("Ordo-Event-Subject", natsMsg_GetSubject(msg));
  headers.emplace_back("Ordo-Attempts", std::to_string(meta.attempt));
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

// Acknowledges, naks (with a delay growing with the attempts) or terminates one message of a
// handled batch. A failure that keeps coming back is dead after max_deliver attempts; an
// unavailable dependency never makes it dead.
asio::awaitable<void> settle(std::shared_ptr<NatsShared> shared, const NatsConsumer& consumer,
                             natsMsg* msg, MsgMeta meta, Settlement settlement) {
  if (settlement.outcome == Outcome::retry &&
      meta.attempt >= static_cast<std::uint64_t>(shared->options.max_deliver)) {
    settlement = {Outcome::dead,
                  "failed " + std::to_string(meta.attempt) + " times: " + settlement.reason};
  }
  if (settlement.outcome == Outcome::retry || settlement.outcome == Outcome::unavailable) {
    log::warn(consumer.service, "event handler failed; will retry",
              {{"type", consumer.type},
               {"attempt", meta.attempt},
               {"error", header_value(settlement.reason)}});
  }
  if (settlement.outcome == Outcome::dead) {
    bool buried = co_await dead_letter(shared, consumer, msg, meta, settlement.reason);
    if (!buried) {
      settlement.outcome = Outcome::retry;
    }
  }
  natsStatus status = NATS_OK;
  switch (settlement.outcome) {
    case Outcome::done:
      status = natsMsg_Ack(msg, nullptr);
      break;
    case Outcome::dead:
      status = natsMsg_Term(msg, nullptr);
      break;
    case Outcome::retry:
    case Outcome::unavailable:
      status = natsMsg_NakWithDelay(msg, retry_delay(meta.attempt).count(), nullptr);
      break;
  }
  if (status != NATS_OK) {
    // The server redelivers after AckWait; the handler's inbox makes that harmless.
    log::debug(consumer.service, "cannot acknowledge a NATS message",
               {{"error", status_text(status)}});
  }
}

// Hands the batch's readable events to the subscription in one call, then settles every
// message: after the handler's transaction committed, so an ack never precedes the effect.
asio::awaitable<void> handle_batch(std::shared_ptr<NatsShared> shared,
                                   std::shared_ptr<NatsConsumer> consumer,
                                   std::vector<MsgPtr> msgs) {
  InFlight counted(consumer);
  std::vector<MsgMeta> metas;
  std::vector<Settlement> settlements(msgs.size());
  std::vector<Delivery> deliveries;
  std::vector<std::size_t> handed;  // the msgs index of each delivery
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    metas.push_back(meta_of(msgs[i].get()));
    std::string_view text(natsMsg_GetData(msgs[i].get()),
                          static_cast<std::size_t>(natsMsg_GetDataLength(msgs[i].get())));
    std::string reason;
    std::optional<CloudEvent> event = parse_event(text, &reason);
    if (!event) {
      settlements[i] = {Outcome::dead, "unreadable event: " + reason};
      continue;
    }
    deliveries.push_back(Delivery{std::move(*event), metas.back().attempt});
    handed.push_back(i);
  }
  if (!deliveries.empty()) {
    std::span<const Delivery> view(deliveries);
    std::vector<Settlement> results;
    std::exception_ptr failure;
    try {
      results = co_await consumer->handler->handler(view);
    } catch (...) {
      failure = std::current_exception();
    }
    if (!failure && results.size() != deliveries.size())
      failure = std::make_exception_ptr(std::logic_error("a batch handler settled too few"));
    if (failure)
      results = settle_all(deliveries.size(), failure);
    for (std::size_t k = 0; k < handed.size(); ++k)
      settlements[handed[k]] = std::move(results[k]);
  }
  for (std::size_t i = 0; i < msgs.size(); ++i)
    co_await settle(shared, *consumer, msgs[i].get(), metas[i], std::move(settlements[i]));
  msgs.clear();  // before `shared`: the messages refer to the subscription
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

// Waits until the consumer's batch is settled (its messages refer to the subscription).
void drain_in_flight(NatsShared& shared, NatsConsumer& consumer) {
  std::unique_lock lock(consumer.mutex);
  consumer.wake.wait(lock, [&] { return !consumer.in_flight || shared.stopping; });
}

// One pull request; appends what it brought to `out`.
natsStatus pull(NatsConsumer& consumer, int batch, bool no_wait, std::int64_t wait_ms,
                std::vector<MsgPtr>& out) {
  jsFetchRequest request;
  jsFetchRequest_Init(&request);
  request.Batch = batch;
  request.NoWait = no_wait;
  request.Expires = wait_ms * 1'000'000;  // nanoseconds
  natsMsgList list{nullptr, 0};
  natsStatus status = natsSubscription_FetchRequest(&list, consumer.subscription, &request);
  for (int i = 0; i < list.Count; ++i) {
    out.emplace_back(list.Msgs[i]);
    list.Msgs[i] = nullptr;
  }
  natsMsgList_Destroy(&list);
  return status;
}

// What is waiting, up to max_events. With nothing waiting, a long poll for the first message,
// returned alone as soon as it arrives: a lone event never waits for a batch. Only when two or
// more were waiting (the consumer is behind) may the batch wait up to max_wait to fill.
natsStatus fetch_batch(NatsShared& shared, NatsConsumer& consumer, std::vector<MsgPtr>& out) {
  const BatchOptions& batch = shared.options.batch;
  int max = static_cast<int>(std::clamp<std::size_t>(batch.max_events, 1, 4096));
  natsStatus status = pull(consumer, max, true, kFetchWaitMs, out);
  if (out.empty() && status == NATS_NOT_FOUND) {
    status = pull(consumer, 1, false, kFetchWaitMs, out);
  }
  auto fetched = static_cast<int>(out.size());
  if (fetched >= 2 && fetched < max && batch.max_wait.count() > 0) {
    pull(consumer, max - fetched, false, batch.max_wait.count(), out);
  }
  return out.empty() ? status : NATS_OK;
}

void dispatch(NatsShared& shared, const std::shared_ptr<NatsConsumer>& consumer,
              std::vector<MsgPtr> batch) {
  {
    std::lock_guard lock(consumer->mutex);
    consumer->in_flight = true;
  }
  asio::co_spawn(shared.executor,
                 handle_batch(shared.shared_from_this(), consumer, std::move(batch)),
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
    drain_in_flight(shared, *consumer);  // one batch at a time: the next is what waits now
    if (shared.stopping) {
      break;
    }
    std::vector<MsgPtr> batch;
    natsStatus status = fetch_batch(shared, *consumer, batch);
    if (!batch.empty()) {
      dispatch(shared, consumer, std::move(batch));
    }
    if (status == NATS_OK || status == NATS_TIMEOUT || status == NATS_NOT_FOUND) {
      failures = 0;
      continue;
    }
    ++failures;
    if (failures == 1) {
      log::debug(consumer->service, "NATS fetch failed",
                 {{"durable", consumer->durable}, {"error", status_text(status)}});
    }
    shared.wait_or_stop(std::min(100ms * failures, std::chrono::milliseconds(1000)));
  }
}

}  // namespace ordo::bus
