// Reading field values: optional whitespace around them and comma-separated lists (RFC 9110 5.6).
#pragma once

#include <string_view>
#include <vector>

namespace ordo::http {

// Without the spaces and tabs around it.
inline std::string_view trim_ows(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

// The elements of a comma-separated list, each trimmed; empty elements are skipped. Views into
// `list`.
inline std::vector<std::string_view> list_elements(std::string_view list) {
  std::vector<std::string_view> elements;
  while (!list.empty()) {
    auto comma = list.find(',');
    auto element = trim_ows(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (!element.empty())
      elements.push_back(element);
  }
  return elements;
}

}  // namespace ordo::http
