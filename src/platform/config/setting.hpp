// One named setting and the builders that declare one over a field: of the process's Config, of
// its HTTP limits, or of a component's section (Config::section<Values>()). A component lists its
// settings next to its code with these (services/<name>/settings.cpp) and registers them as a
// config::Section; the platform reads, checks and prints them all the same way.
#pragma once

#include <charconv>
#include <chrono>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>
#include <vector>

namespace ordo::config {

struct Config;

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Its key in TOML ("gateway.port"), its environment variable, and how to read and show it.
struct Setting {
  std::string key;
  std::string help;
  bool secret = false;
  std::function<void(Config&, const std::string&)> set;  // throws ConfigError on a bad value
  std::function<std::string(const Config&)> get;
  std::string env_name() const;  // ORDO_GATEWAY_PORT for gateway.port
};

template <typename T>
T parse_number(const std::string& key, const std::string& text) {
  T value{};
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || ptr != end) {
    throw ConfigError("setting " + key + ": '" + text + "' is not a valid number");
  }
  return value;
}

// Shortest text that reads back as the same value (an ostream would round doubles to 6 digits).
template <typename T>
std::string number_text(T value) {
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

bool parse_flag(const std::string& key, const std::string& text);  // true/false, 1/0, yes/no
std::vector<std::string> split_list(const std::string& value);     // "a, b" -> {a, b}
std::string join_list(const std::vector<std::string>& items);

namespace detail {

// Where a field of type Owner lives in a Config, const or not (defined in config.hpp, which sees
// Config whole).
template <typename Owner, typename AnyConfig>
auto& owner(AnyConfig& config);

}  // namespace detail

template <typename T, typename Owner>
Setting number(std::string key, std::string help, T Owner::*member, T min, T max) {
  Setting s{key, std::move(help), false, nullptr, nullptr};
  s.set = [key, member, min, max](Config& c, const std::string& text) {
    T value = parse_number<T>(key, text);
    // Written so that NaN (from_chars reads "nan") is out of every range.
    if (!(value >= min && value <= max)) {
      throw ConfigError("setting " + key + ": " + text + " is out of range [" + number_text(min) +
                        ", " + number_text(max) + "]");
    }
    detail::owner<Owner>(c).*member = value;
  };
  s.get = [member](const Config& c) { return number_text(detail::owner<Owner>(c).*member); };
  return s;
}

template <typename Owner>
Setting text(std::string key, std::string help, std::string Owner::*member, bool secret = false) {
  Setting s{key, std::move(help), secret, nullptr, nullptr};
  s.set = [member](Config& c, const std::string& value) {
    detail::owner<Owner>(c).*member = value;
  };
  s.get = [member](const Config& c) { return detail::owner<Owner>(c).*member; };
  return s;
}

template <typename Owner>
Setting flag(std::string key, std::string help, bool Owner::*member) {
  Setting s{key, std::move(help), false, nullptr, nullptr};
  s.set = [key, member](Config& c, const std::string& value) {
    detail::owner<Owner>(c).*member = parse_flag(key, value);
  };
  s.get = [member](const Config& c) {
    return std::string(detail::owner<Owner>(c).*member ? "true" : "false");
  };
  return s;
}

// Milliseconds in [min, one hour].
template <typename Owner>
Setting millis(std::string key, std::string help, std::chrono::milliseconds Owner::*member,
               long long min = 1) {
  Setting s{key, std::move(help), false, nullptr, nullptr};
  s.set = [key, member, min](Config& c, const std::string& value) {
    auto ms = parse_number<long long>(key, value);
    if (ms < min || ms > 3'600'000)
      throw ConfigError("setting " + key + ": out of range");
    detail::owner<Owner>(c).*member = std::chrono::milliseconds(ms);
  };
  s.get = [member](const Config& c) {
    return std::to_string((detail::owner<Owner>(c).*member).count());
  };
  return s;
}

// Comma-separated items, each passing `valid` (when given).
template <typename Owner>
Setting list(std::string key, std::string help, std::vector<std::string> Owner::*member,
             std::function<bool(const std::string&)> valid = nullptr) {
  Setting s{key, std::move(help), false, nullptr, nullptr};
  s.set = [key, member, valid](Config& c, const std::string& value) {
    auto items = split_list(value);
    for (const auto& item : items) {
      if (valid && !valid(item))
        throw ConfigError("setting " + key + ": not valid here: '" + item + "'");
    }
    detail::owner<Owner>(c).*member = std::move(items);
  };
  s.get = [member](const Config& c) { return join_list(detail::owner<Owner>(c).*member); };
  return s;
}

// What a component declares: its settings, and the checks that span several of them.
struct Section {
  std::string name;  // the component it configures ("notifications")
  std::vector<Setting> settings;
  std::function<void(Config&)> defaults;        // puts what a new Config holds (may be empty)
  std::function<void(const Config&)> validate;  // throws ConfigError (may be empty)
};

// Registers a section for every Config made and every load() after it (services register theirs
// through host::register_service, at static initialisation). A key already taken is a logic_error.
void register_section(Section section);
const std::vector<Section>& sections();

// The section of a service the process runs: <name>.port (default_port) and, for a service the
// process can reach elsewhere, <name>.upstreams (its instances' origins).
Section service_endpoint_section(const std::string& name, std::uint16_t default_port,
                                 bool has_upstreams);

}  // namespace ordo::config
