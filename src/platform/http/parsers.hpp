// Parsers that fill Request/Response directly, for server.cpp and client.cpp only (the two Beast
// translation units). Beast's basic_parser does the parsing, the part worth trusting; we keep
// what it finds in our own types instead of Beast's fields, which the old code then copied field
// by field into Headers (an allocation per field, twice).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/beast/http/basic_parser.hpp>

#include "platform/http/message.hpp"
#include "platform/http/wire.hpp"

namespace ordo::http::wire {

namespace detail {

// The body part shared by both parsers: a string, reserved from Content-Length (the parser's
// body_limit has already refused a larger one).
class BodySink {
 public:
  explicit BodySink(std::string& body) : body_(body) {}
  void init(const boost::optional<std::uint64_t>& length) {
    if (length && *length <= 16 * 1024 * 1024)
      body_.reserve(static_cast<std::size_t>(*length));
  }
  std::size_t put(std::string_view piece) {
    body_.append(piece.data(), piece.size());
    return piece.size();
  }

 private:
  std::string& body_;
};

}  // namespace detail

// Parses one request into `out` (method, target, headers, body); the caller reads the version,
// keep-alive and Expect from the parser once the head is in.
class RequestParser final : public boost::beast::http::basic_parser<true> {
 public:
  explicit RequestParser(Request& out) : out_(out), body_(out.body) {}
  unsigned version() const { return version_; }
  bool expects_continue() const { return expects_continue_; }
  bool head_request() const { return head_request_; }

 private:
  using error_code = boost::system::error_code;
  using string_view = boost::beast::string_view;
  using field = boost::beast::http::field;

  void on_request_impl(boost::beast::http::verb method, string_view method_str, string_view target,
                       int version, error_code&) override {
    out_.method.assign(method_str.data(), method_str.size());
    out_.target.assign(target.data(), target.size());
    version_ = static_cast<unsigned>(version);
    head_request_ = method == boost::beast::http::verb::head;
  }
  void on_response_impl(int, string_view, int, error_code&) override {}
  void on_field_impl(field name, string_view name_string, string_view value, error_code&) override {
    if (name == field::expect &&
        iequals(std::string_view(value.data(), value.size()), "100-continue")) {
      expects_continue_ = true;
    }
    out_.headers.add(std::string(name_string.data(), name_string.size()),
                     std::string(value.data(), value.size()));
  }
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&) override {
    body_.init(length);
  }
  std::size_t on_body_impl(string_view body, error_code&) override {
    return body_.put(std::string_view(body.data(), body.size()));
  }
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override {
    return body_.put(std::string_view(body.data(), body.size()));
  }
  void on_finish_impl(error_code&) override {}

  Request& out_;
  detail::BodySink body_;
  unsigned version_ = 11;
  bool expects_continue_ = false;
  bool head_request_ = false;
};

// Parses one response into `out` (status, headers, body).
class ResponseParser final : public boost::beast::http::basic_parser<false> {
 public:
  explicit ResponseParser(Response& out) : out_(out), body_(out.body) {}

 private:
  using error_code = boost::system::error_code;
  using string_view = boost::beast::string_view;

  void on_request_impl(boost::beast::http::verb, string_view, string_view, int,
                       error_code&) override {}
  void on_response_impl(int code, string_view, int, error_code&) override { out_.status = code; }
  void on_field_impl(boost::beast::http::field, string_view name_string, string_view value,
                     error_code&) override {
    out_.headers.add(std::string(name_string.data(), name_string.size()),
                     std::string(value.data(), value.size()));
  }
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&) override {
    body_.init(length);
  }
  std::size_t on_body_impl(string_view body, error_code&) override {
    return body_.put(std::string_view(body.data(), body.size()));
  }
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override {
    return body_.put(std::string_view(body.data(), body.size()));
  }
  void on_finish_impl(error_code&) override {}

  Response& out_;
  detail::BodySink body_;
};

}  // namespace ordo::http::wire
