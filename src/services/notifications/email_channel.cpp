#include "services/notifications/email_channel.hpp"

#include <curl/curl.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "platform/core/blocking.hpp"
#include "platform/log/log.hpp"

namespace ordo::services::notifications {
namespace {

constexpr long kConnectTimeoutMs = 10'000;
constexpr long kTotalTimeoutMs = 60'000;

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct CurlListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

// The message, handed to libcurl's DATA upload piece by piece.
struct Upload {
  std::string_view data;
  std::size_t offset = 0;
};

std::size_t read_message(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  std::size_t n = std::min(size * count, upload->data.size() - upload->offset);
  upload->data.copy(buffer, n, upload->offset);
  upload->offset += n;
  return n;
}

// libcurl hands the SMTP server's reply lines to the header callback.
std::size_t keep_reply(char* buffer, std::size_t size, std::size_t count, void* user) {
  std::string line(buffer, size * count);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n'))
    line.pop_back();
  if (!line.empty())
    static_cast<std::vector<std::string>*>(user)->push_back(std::move(line));
  return size * count;
}

// The last reply with the code that failed the send: the server's own words ("550 5.1.1 ...");
// libcurl sends QUIT after a failure, so the very last reply is only "221 Bye".
std::string failed_reply(const std::vector<std::string>& replies, long code) {
  std::string prefix = std::to_string(code);
  for (auto it = replies.rbegin(); it != replies.rend(); ++it) {
    if (it->rfind(prefix, 0) == 0)
      return *it;
  }
  return {};
}

void init_curl_once() {
  static const CURLcode initialized = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (initialized != CURLE_OK)
    throw std::runtime_error("libcurl could not be initialized");
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot read e-mail template " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

EmailTemplates read_email_templates(const std::string& dir) {
  EmailTemplates templates;
  if (dir.empty())
    return templates;
  std::error_code ec;
  std::filesystem::directory_iterator files(dir, ec);
  if (ec)
    throw std::runtime_error("notifications.email_templates_dir: cannot read " + dir + ": " +
                             ec.message());
  for (const auto& entry : files) {
    auto extension = entry.path().extension();
    if (entry.is_regular_file() && (extension == ".txt" || extension == ".html"))
      templates[entry.path().filename().string()] = read_file(entry.path());
  }
  return templates;
}

void send_smtp(const std::string& smtp_url, const std::string& from_address,
               const std::string& to_address, const std::string& message) {
  init_curl_once();
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl)
    throw std::runtime_error("libcurl: cannot create a handle");
  std::unique_ptr<curl_slist, CurlListDeleter> recipients(
      curl_slist_append(nullptr, to_address.c_str()));
  Upload upload{message};
  std::vector<std::string> replies;
  char error[CURL_ERROR_SIZE] = {};
  CURL* handle = curl.get();
  curl_easy_setopt(handle, CURLOPT_URL, smtp_url.c_str());
  curl_easy_setopt(handle, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY));  // STARTTLS
  curl_easy_setopt(handle, CURLOPT_MAIL_FROM, ("<" + from_address + ">").c_str());
  curl_easy_setopt(handle, CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(handle, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(handle, CURLOPT_READFUNCTION, read_message);
  curl_easy_setopt(handle, CURLOPT_READDATA, &upload);
  curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, keep_reply);
  curl_easy_setopt(handle, CURLOPT_HEADERDATA, &replies);
  curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for DNS timeouts
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, kConnectTimeoutMs);
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, kTotalTimeoutMs);
  CURLcode result = curl_easy_perform(handle);
  if (result == CURLE_OK)
    return;
  long code = 0;
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &code);
  std::string what = error[0] != '\0' ? error : curl_easy_strerror(result);
  if (auto reply = failed_reply(replies, code); code != 0 && !reply.empty())
    what += " (server: " + reply + ")";
  if (code >= 500 && code < 600)
    throw PermanentDeliveryError("SMTP " + std::to_string(code) + ": " + what);
  throw std::runtime_error("SMTP: " + what);
}

EmailChannel::EmailChannel(std::string smtp_url, std::string from, EmailTemplates templates)
    : smtp_url_(std::move(smtp_url)), from_(std::move(from)), templates_(std::move(templates)) {
  init_curl_once();
}

EmailChannel::~EmailChannel() {
  sender_.join();  // a send in progress ends (bounded by its timeout) before the channel goes
}

boost::asio::awaitable<void> EmailChannel::deliver(const Notification& notification,
                                                   const Recipient& recipient) {
  // The view may not know the user yet (events of different streams arrive in any order).
  if (recipient.email.empty())
    throw std::runtime_error("the recipient has no e-mail address (not in the users view yet)");
  auto envelope = new_envelope(from_, recipient.email);
  auto message = build_email(envelope, render_email(templates_, notification, recipient));
  auto send = [url = smtp_url_, from = mailbox_address(from_), to = recipient.email,
               message = std::move(message)] {
    send_smtp(url, from, to, message);
    return true;
  };
  co_await core::run_blocking(sender_, std::move(send));
  log::info("notifications", "e-mail sent",
            {{"channel", kName},
             {"notificationId", notification.id},
             {"recipientId", recipient.user_id},
             {"eventType", notification.event_type},
             {"messageId", envelope.message_id}});
}

}  // namespace ordo::services::notifications
