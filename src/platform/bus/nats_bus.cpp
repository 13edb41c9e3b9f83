// The NATS JetStream bus. cnats runs its own threads: everything it calls back is posted onto the
// io executor; blocking calls (connect, stream and consumer set-up, fetch) run on this bus's own
// threads, never on the io thread.
#include "platform/bus/nats_bus.hpp"

#include <nats/nats.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "platform/bus/nats_internal.hpp"
#include "platform/log/log.hpp"

namespace ordo::bus {
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {
constexpr std::int64_t kApiWaitMs = 5000;
constexpr std::chrono::nanoseconds kDuplicateWindow = 2min;
constexpr std::chrono::nanoseconds kMaxAge = std::chrono::hours(24 * 7);

// A stream or durable name: no dots, wildcards, spaces or path separators.
std::string name_token(std::string_view text, bool upper) {
  std::string out;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_') {
      out += upper ? static_cast<char>(std::toupper(u)) : c;
    } else {
      out += '_';
    }
  }
  return out;
}

// Only the callbacks of a live bus run: cnats may call back from its threads while (or after) a
// bus is destroyed, so callbacks find their bus by id, under a lock its destructor also takes.
class CallbackRegistry {
 public:
  std::uint64_t add(NatsShared* shared) {
    std::lock_guard lock(mutex_);
    entries_.emplace(++last_id_, shared);
    return last_id_;
  }
  void remove(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    entries_.erase(id);
  }
  template <typename Fn>
  void with(void* closure, Fn fn) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(reinterpret_cast<std::uintptr_t>(closure));
    if (it != entries_.end()) {
      fn(*it->second);
    }
  }

 private:
  std::mutex mutex_;
  std::uint64_t last_id_ = 0;
  std::unordered_map<std::uint64_t, NatsShared*> entries_;
};

// Never destroyed: cnats threads may still call back during static destruction.
CallbackRegistry& registry() {
  static auto* instance = new CallbackRegistry();
  return *instance;
}

void* closure_of(std::uint64_t id) {
  return reinterpret_cast<void*>(static_cast<std::uintptr_t>(id));
}

void on_connected(natsConnection*, void* closure) {
  registry().with(closure, [](NatsShared& shared) { shared.connection_changed(true); });
}
void on_disconnected(natsConnection*, void* closure) {
  registry().with(closure, [](NatsShared& shared) { shared.connection_changed(false); });
}
void on_pub_ack(jsCtx*, natsMsg* msg, jsPubAck* ack, jsPubAckErr* error, void* closure) {
  std::string failure;
  if (error != nullptr) {
    failure = "nats: publish failed: " + status_text(error->Err, error->ErrCode);
    if (error->ErrText != nullptr) {
      failure += std::string(" (") + error->ErrText + ")";
    }
  } else if (ack == nullptr) {
    failure = "nats: publish failed without an acknowledgement";
  }
  registry().with(closure, [&](NatsShared& shared) { shared.publish_completed(msg, failure); });
  natsMsg_Destroy(msg);  // with an AckHandler, the message is ours again
}

asio::awaitable<void> wait_for_ack(PendingPublish& pending, std::chrono::milliseconds timeout) {
  pending.timer.expires_after(timeout);
  boost::system::error_code ec;  // operation_aborted is the acknowledgement arriving
  co_await pending.timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}
}  // namespace

std::string status_text(natsStatus status, jsErrCode code) {
  std::string text = natsStatus_GetText(status);
  if (code != 0) {
    text += " (JetStream error " + std::to_string(code) + ")";
  }
  return text;
}

std::string NatsNames::event_subject(std::string_view type) const {
  return name_space + ".events." + std::string(type);
}
std::string NatsNames::dead_subject(std::string_view service) const {
  return name_space + ".dead." + std::string(service);
}
std::string NatsNames::durable(std::string_view service, std::string_view type) const {
  return name_token(name_space, false) + "_" + name_token(service, false) + "_" +
         name_token(type, false);
}

NatsNames nats_names(std::string_view name_space) {
  NatsNames names;
  names.name_space = std::string(name_space);
  names.events_stream = name_token(name_space, true) + "_EVENTS";
  names.dead_stream = name_token(name_space, true) + "_DEAD";
  return names;
}

NatsShared::NatsShared(asio::any_io_executor executor, NatsBusOptions options)
    : executor(std::move(executor)),
      options(std::move(options)),
      names(nats_names(this->options.name_space)),
      callback_id(registry().add(this)) {}

NatsShared::~NatsShared() {
  registry().remove(callback_id);  // waits for a callback in progress; none starts after this
  for (const auto& consumer : consumers) {
    if (consumer->subscription != nullptr) {
      // Destroy, never Unsubscribe or Drain: those would delete the durable consumer.
      natsSubscription_Destroy(consumer->subscription);
    }
  }
  if (natsConnection* nc = connection.load()) {
    if (natsConnection_Status(nc) == NATS_CONN_STATUS_CONNECTED) {
      natsConnection_FlushTimeout(nc, 500);  // the last acks
    }
  }
  jsCtx_Destroy(js.load());
  natsConnection_Destroy(connection.load());
}

bool NatsShared::connected() const {
  natsConnection* nc = connection.load();
  return nc != nullptr && natsConnection_Status(nc) == NATS_CONN_STATUS_CONNECTED;
}

void NatsShared::connection_changed(bool up) {
  std::lock_guard lock(mutex);
  if (up) {
    needs_setup = true;  // a restarted server may have lost the streams: check them again
  } else {
    ready = false;
  }
  wake.notify_all();
}

void NatsShared::publish_completed(natsMsg* msg, const std::string& failure) {
  std::shared_ptr<PendingPublish> found;
  {
    std::lock_guard lock(pending_mutex);
    auto it = pending.find(msg);
    if (it == pending.end()) {
      return;  // the publisher gave up waiting already
    }
    found = std::move(it->second);
    pending.erase(it);
  }
  asio::post(found->executor, [found, failure] {
    found->done = true;
    found->failure = failure;
    found->timer.cancel();
  });
}

void NatsShared::stop() {
  std::lock_guard lock(mutex);
  stopping = true;
  wake.notify_all();
  for (const auto& consumer : consumers) {
    std::lock_guard consumer_lock(consumer->mutex);
    consumer->wake.notify_all();
  }
}

bool NatsShared::wait_or_stop(std::chrono::milliseconds duration) {
  std::unique_lock lock(mutex);
  wake.wait_for(lock, duration, [&] { return stopping.load(); });
  return !stopping;
}

asio::awaitable<void> NatsShared::publish(std::shared_ptr<NatsShared> self, std::string subject,
                                          std::string payload, Headers headers) {
  jsCtx* js = self->js.load();
  if (js == nullptr || !self->connected()) {
    throw std::runtime_error("nats: not connected to " + self->options.url);
  }
  natsMsg* raw = nullptr;
  natsStatus status = natsMsg_Create(&raw, subject.c_str(), nullptr, payload.data(),
                                     static_cast<int>(payload.size()));
  MsgPtr msg(raw);
  for (const auto& [key, value] : headers) {
    if (status == NATS_OK) {
      status = natsMsgHeader_Set(raw, key.c_str(), value.c_str());
    }
  }
  if (status != NATS_OK) {
    throw std::runtime_error("nats: cannot build message: " + status_text(status));
  }
  auto pending = std::make_shared<PendingPublish>(co_await asio::this_coro::executor);
  {
    std::lock_guard lock(self->pending_mutex);
    self->pending[raw] = pending;
  }
  jsPubOptions publish_options;
  jsPubOptions_Init(&publish_options);
  publish_options.MaxWait = self->options.publish_timeout.count();
  natsMsg* handed = msg.release();
  status = js_PublishMsgAsync(js, &handed, &publish_options);
  if (status != NATS_OK) {
    natsMsg_Destroy(handed);  // still ours: the library cleared the pointer only if it took it
    std::lock_guard lock(self->pending_mutex);
    self->pending.erase(raw);
    throw std::runtime_error("nats: publish failed: " + status_text(status));
  }
  // The library times out first (MaxWait); the margin covers an acknowledgement lost on the way.
  co_await wait_for_ack(*pending, self->options.publish_timeout + 1s);
  if (!pending->done) {
    std::lock_guard lock(self->pending_mutex);
    self->pending.erase(raw);
    throw std::runtime_error("nats: no acknowledgement for a publish on " + subject);
  }
  if (!pending->failure.empty()) {
    throw std::runtime_error(pending->failure);
  }
}

// Connects in the background; cnats then reconnects on its own, forever, with backoff.
bool NatsShared::connect() {
  natsOptions* opts = nullptr;
  natsStatus status = natsOptions_Create(&opts);
  void* closure = closure_of(callback_id);
  std::string client_name = "ordo-" + options.name_space;
  if (status == NATS_OK) {
    status = natsOptions_SetURL(opts, options.url.c_str());
  }
  if (status == NATS_OK) {
    natsOptions_SetName(opts, client_name.c_str());
    natsOptions_SetTimeout(opts, 2000);
    natsOptions_SetMaxReconnect(opts, -1);
    natsOptions_SetReconnectWait(opts, 250);
    natsOptions_SetPingInterval(opts, 5000);
    natsOptions_SetMaxPingsOut(opts, 3);
    natsOptions_SetDisconnectedCB(opts, on_disconnected, closure);
    natsOptions_SetReconnectedCB(opts, on_connected, closure);
    status = natsOptions_SetRetryOnFailedConnect(opts, true, on_connected, closure);
  }
  natsConnection* nc = nullptr;
  if (status == NATS_OK) {
    status = natsConnection_Connect(&nc, opts);
    if (status == NATS_NOT_YET_CONNECTED) {
      status = NATS_OK;
    }
  }
  natsOptions_Destroy(opts);
  jsCtx* context = nullptr;
  if (status == NATS_OK) {
    jsOptions js_options;
    jsOptions_Init(&js_options);
    js_options.Wait = kApiWaitMs;
    js_options.PublishAsync.AckHandler = on_pub_ack;
    js_options.PublishAsync.AckHandlerClosure = closure;
    status = natsConnection_JetStream(&context, nc, &js_options);
  }
  if (status != NATS_OK) {
    log::error("bus", "cannot set up a NATS connection",
               {{"url", options.url}, {"error", status_text(status)}});
    natsConnection_Destroy(nc);
    return false;
  }
  connection = nc;
  js = context;
  return true;
}

bool NatsShared::ensure_stream(const std::string& name, const std::string& subjects) {
  const char* subject_list[] = {subjects.c_str()};
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  config.Name = name.c_str();
  config.Subjects = subject_list;
  config.SubjectsLen = 1;
  config.Storage = js_FileStorage;
  config.Retention = js_LimitsPolicy;
  config.Duplicates = kDuplicateWindow.count();
  config.MaxAge = kMaxAge.count();
  jsStreamInfo* info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  // Idempotent: another instance may have created it, with the same or an older configuration.
  natsStatus status = js_AddStream(&info, js.load(), &config, nullptr, &code);
  if (status != NATS_OK) {
    status = js_GetStreamInfo(&info, js.load(), name.c_str(), nullptr, &code);
  }
  jsStreamInfo_Destroy(info);
  if (status != NATS_OK) {
    log::warn("bus", "cannot create the NATS stream",
              {{"stream", name}, {"error", status_text(status, code)}});
  }
  return status == NATS_OK;
}

void NatsShared::run_control() {
  if (!connect()) {
    return;  // a malformed URL: nothing will ever connect; ping() stays false
  }
  while (!stopping) {
    std::unique_lock lock(mutex);
    wake.wait_for(lock, 1s, [&] { return stopping || (needs_setup && connected()); });
    if (stopping) {
      break;
    }
    if (!connected()) {
      ready = false;
      continue;
    }
    if (!needs_setup) {
      continue;
    }
    needs_setup = false;
    lock.unlock();
    bool ok = ensure_stream(names.events_stream, names.name_space + ".events.>") &&
              ensure_stream(names.dead_stream, names.name_space + ".dead.>");
    lock.lock();
    if (ok) {
      ready = true;
      ++generation;
      wake.notify_all();
    } else {
      needs_setup = true;
      lock.unlock();
      wait_or_stop(500ms);
    }
  }
}

namespace {
class NatsBus final : public Bus {
 public:
  NatsBus(asio::any_io_executor executor, const NatsBusOptions& options)
      : shared_(std::make_shared<NatsShared>(std::move(executor), options)) {
    threads_.emplace_back([shared = shared_.get()] { shared->run_control(); });
  }

  ~NatsBus() override {
    shared_->stop();
    for (std::thread& thread : threads_) {
      thread.join();
    }
    // In-flight handlers keep shared_ alive; the last one to finish closes the connection.
  }

  asio::awaitable<void> publish(const CloudEvent& event) override {
    std::string subject = shared_->names.event_subject(event.type);
    std::string payload = serialize(event);
    NatsShared::Headers headers;
    headers.emplace_back("Nats-Msg-Id", event.id);
    co_await NatsShared::publish(shared_, std::move(subject), std::move(payload),
                                 std::move(headers));
  }

  void subscribe(Subscription subscription) override {
    auto shared_subscription = std::make_shared<const Subscription>(std::move(subscription));
    std::vector<std::string> types = shared_subscription->types;
    std::sort(types.begin(), types.end());
    types.erase(std::unique(types.begin(), types.end()), types.end());
    std::lock_guard lock(shared_->mutex);
    for (const std::string& type : types) {
      auto consumer = std::make_shared<NatsConsumer>();
      consumer->handler = shared_subscription;
      consumer->service = shared_subscription->service;
      consumer->type = type;
      consumer->durable = shared_->names.durable(consumer->service, type);
      consumer->filter = shared_->names.event_subject(type);
      shared_->consumers.push_back(consumer);
      threads_.emplace_back(
          [shared = shared_.get(), consumer] { run_consumer(*shared, consumer); });
    }
  }

  asio::awaitable<bool> ping() override { co_return shared_->ready && shared_->connected(); }

  std::string kind() const override { return "nats"; }

 private:
  std::shared_ptr<NatsShared> shared_;
  std::vector<std::thread> threads_;  // guarded by shared_->mutex after construction
};
}  // namespace

std::unique_ptr<Bus> make_nats_bus(asio::any_io_executor executor, const NatsBusOptions& options) {
  if (options.name_space.empty() || options.max_deliver < 1 || options.batch.max_events < 1) {
    throw std::invalid_argument(
        "nats bus: a namespace, max_deliver >= 1 and batch.max_events >= 1 are required");
  }
  return std::make_unique<NatsBus>(std::move(executor), options);
}

}  // namespace ordo::bus
