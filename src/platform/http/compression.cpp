#include "platform/http/compression.hpp"

#include <stdexcept>

#include <zlib.h>

#include "platform/http/header_values.hpp"
#include "platform/http/wire.hpp"

namespace ordo::http {
namespace {

// The weight of one Accept-Encoding item ("gzip;q=0.5"): false for q=0 (any number of zero
// digits), true otherwise, including a missing or malformed q (which counts as 1).
bool positive_weight(std::string_view parameters) {
  while (!parameters.empty()) {
    auto semicolon = parameters.find(';');
    auto parameter = trim_ows(parameters.substr(0, semicolon));
    parameters =
        semicolon == std::string_view::npos ? std::string_view() : parameters.substr(semicolon + 1);
    if (parameter.size() < 2 || (parameter[0] != 'q' && parameter[0] != 'Q') ||
        trim_ows(parameter.substr(1)).empty() || trim_ows(parameter.substr(1)).front() != '=')
      continue;
    auto value = trim_ows(trim_ows(parameter.substr(1)).substr(1));
    for (char c : value) {
      if (c >= '1' && c <= '9')
        return true;
    }
    return value.empty();  // "q=" says nothing; "q=0", "q=0.000" refuse
  }
  return true;
}

constexpr std::string_view kGzipSuffix = "-gzip\"";

}  // namespace

bool accepts_gzip(std::string_view accept_encoding) {
  std::optional<bool> gzip_weight;
  std::optional<bool> any_weight;
  for (auto item : list_elements(accept_encoding)) {
    auto semicolon = item.find(';');
    auto coding = trim_ows(item.substr(0, semicolon));
    auto parameters =
        semicolon == std::string_view::npos ? std::string_view() : item.substr(semicolon);
    if (wire::iequals(coding, "gzip") || wire::iequals(coding, "x-gzip"))
      gzip_weight = positive_weight(parameters);
    else if (coding == "*")
      any_weight = positive_weight(parameters);
  }
  if (gzip_weight)
    return *gzip_weight;
  return any_weight.value_or(false);
}

bool is_compressible_type(std::string_view content_type) {
  auto type = trim_ows(content_type.substr(0, content_type.find(';')));
  auto starts = [&](std::string_view prefix) {
    return type.size() >= prefix.size() && wire::iequals(type.substr(0, prefix.size()), prefix);
  };
  auto ends = [&](std::string_view suffix) {
    return type.size() >= suffix.size() &&
           wire::iequals(type.substr(type.size() - suffix.size()), suffix);
  };
  if (wire::iequals(type, "text/event-stream"))
    return false;  // written as it happens: compressing would hold events back
  return starts("text/") || wire::iequals(type, "application/json") || ends("+json") ||
         wire::iequals(type, "application/javascript") || wire::iequals(type, "application/xml") ||
         ends("+xml") || wire::iequals(type, "image/svg+xml");
}

std::string gzip(std::string_view bytes, int level) {
  z_stream stream{};
  // windowBits 15 + 16: a gzip wrapper rather than zlib's own.
  if (deflateInit2(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("gzip: deflateInit2 failed");
  std::string out;
  out.resize(deflateBound(&stream, static_cast<uLong>(bytes.size())));
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  stream.avail_in = static_cast<uInt>(bytes.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  int result = deflate(&stream, Z_FINISH);
  auto written = stream.total_out;
  deflateEnd(&stream);
  if (result != Z_STREAM_END)
    throw std::runtime_error("gzip: deflate did not finish");
  out.resize(written);
  return out;
}

std::optional<std::string> gunzip(std::string_view compressed, std::size_t max_bytes) {
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 16) != Z_OK)
    return std::nullopt;
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  std::string out;
  char chunk[16 * 1024];
  int result = Z_OK;
  while (result == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(chunk);
    stream.avail_out = sizeof chunk;
    result = inflate(&stream, Z_NO_FLUSH);
    if (result != Z_OK && result != Z_STREAM_END)
      break;
    out.append(chunk, sizeof chunk - stream.avail_out);
    if (out.size() > max_bytes) {
      result = Z_BUF_ERROR;
      break;
    }
    if (result == Z_OK && stream.avail_in == 0 && stream.avail_out != 0) {
      result = Z_DATA_ERROR;  // truncated: no more input and the stream has not ended
      break;
    }
  }
  inflateEnd(&stream);
  if (result != Z_STREAM_END)
    return std::nullopt;
  return out;
}

std::string gzip_entity_tag(std::string_view tag) {
  if (tag.size() < 2 || tag.back() != '"')
    return std::string(tag);
  std::string out(tag.substr(0, tag.size() - 1));
  out.append(kGzipSuffix);
  return out;
}

std::string identity_entity_tags(std::string_view list) {
  // An opaque tag holds no '"', so `-gzip"` can only be the end of a tag.
  std::string out;
  out.reserve(list.size());
  std::size_t from = 0;
  for (auto at = list.find(kGzipSuffix); at != std::string_view::npos;
       at = list.find(kGzipSuffix, from)) {
    out.append(list.substr(from, at - from)).push_back('"');
    from = at + kGzipSuffix.size();
  }
  out.append(list.substr(from));
  return out;
}

void add_vary(Headers& headers, std::string_view token) {
  for (const auto& [name, value] : headers.fields()) {
    if (!wire::iequals(name, "Vary"))
      continue;
    bool named = false;
    for (auto item : list_elements(value))
      named = named || item == "*" || wire::iequals(item, token);
    if (named)
      return;
  }
  headers.add("Vary", std::string(token));
}

namespace {

// Rewrites the precondition fields the handler will read; true when If-None-Match named a
// compressed representation (its 304 then carries that tag).
bool take_compressed_tags(Request& request) {
  bool none_match_named_gzip = false;
  for (std::string_view name : {"If-Match", "If-None-Match"}) {
    auto value = request.headers.get(name);
    if (!value || value->find(kGzipSuffix) == std::string_view::npos)
      continue;
    none_match_named_gzip = none_match_named_gzip || name == "If-None-Match";
    request.headers.set(std::string(name), identity_entity_tags(*value));
  }
  return none_match_named_gzip;
}

void mark_compressed(Response& response, std::string body) {
  response.body = std::move(body);
  response.headers.set("Content-Encoding", "gzip");
  if (auto tag = response.headers.get("ETag"))
    response.headers.set("ETag", gzip_entity_tag(*tag));
}

}  // namespace

Middleware compress_responses(CompressionOptions options) {
  return [options](Request& request, const Handler& next) -> boost::asio::awaitable<Response> {
    bool gzip_accepted = accepts_gzip(request.headers.get_or("Accept-Encoding", ""));
    bool asked_for_gzip_tag = take_compressed_tags(request);
    Response response = co_await next(request);
    if (response.stream)
      co_return response;
    if (response.status == 304) {
      // Unchanged: the client's copy is the compressed one when that is the tag it sent.
      if (gzip_accepted && asked_for_gzip_tag) {
        if (auto tag = response.headers.get("ETag"); tag && tag->find(kGzipSuffix) == tag->npos)
          response.headers.set("ETag", gzip_entity_tag(*tag));
        add_vary(response.headers, "Accept-Encoding");
      }
      co_return response;
    }
    if (!is_compressible_type(response.headers.get_or("Content-Type", "")))
      co_return response;
    if (response.headers.has("Content-Encoding")) {  // encoded upstream: pass it on as it is
      add_vary(response.headers, "Accept-Encoding");
      co_return response;
    }
    if (response.body.size() < options.min_bytes)
      co_return response;
    add_vary(response.headers, "Accept-Encoding");
    if (!gzip_accepted)
      co_return response;
    auto compressed = gzip(response.body, options.level);
    if (compressed.size() < response.body.size())
      mark_compressed(response, std::move(compressed));
    co_return response;
  };
}

void use_precompressed(Response& response, const Request& request, const std::string& gzipped) {
  if (response.status != 200 || gzipped.empty())
    return;
  add_vary(response.headers, "Accept-Encoding");
  if (accepts_gzip(request.headers.get_or("Accept-Encoding", "")))
    mark_compressed(response, gzipped);
}

}  // namespace ordo::http
