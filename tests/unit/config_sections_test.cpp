// Configuration by component: a section declared outside the platform (here, by this test, as a
// service does next to its code) is read, checked and printed like the process's own settings.
#include <chrono>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "platform/config/config.hpp"

namespace ordo::config {
namespace {

using ::testing::HasSubstr;

struct ShelfSettings {
  int shelves = 3;
  std::chrono::milliseconds dust_every{2'000};
  bool lights = true;
  std::string label = "shelf";
  std::vector<std::string> aisles{"a"};
};

Section shelf_section() {
  Section section{"shelf", {}, nullptr, nullptr};
  section.settings = {
      number<int>("shelf.count", "shelves", &ShelfSettings::shelves, 1, 10),
      millis("shelf.dust_every_ms", "how often", &ShelfSettings::dust_every, 0),
      flag("shelf.lights", "lights on", &ShelfSettings::lights),
      text("shelf.label", "its label", &ShelfSettings::label, true),
      list("shelf.aisles", "its aisles", &ShelfSettings::aisles,
           [](const std::string& item) { return item.size() == 1; }),
  };
  section.validate = [](const Config& config) {
    const auto& shelf = config.section<ShelfSettings>();
    if (!shelf.lights && shelf.shelves > 5)
      throw ConfigError("shelf.lights must be on for more than 5 shelves");
  };
  return section;
}

// Registered as a service registers: once, at static initialisation, with its endpoint.
const bool kRegistered = [] {
  register_section(service_endpoint_section("shelf", 3999, true));
  register_section(shelf_section());
  return true;
}();

TEST(ConfigSections, ANewConfigHoldsTheDefaults) {
  ASSERT_TRUE(kRegistered);
  Config config;
  EXPECT_EQ(config.section<ShelfSettings>().shelves, 3);
  EXPECT_EQ(config.port("shelf"), 3999);
  EXPECT_EQ(config.upstream_origins("shelf"), std::vector<std::string>{"http://127.0.0.1:3999"});
  EXPECT_THROW(config.port("cellar"), ConfigError);
}

TEST(ConfigSections, SettingsComeFromTheFileTheEnvironmentAndFlags) {
  Config config = load(
      "",
      {{"ORDO_SHELF_COUNT", "4"}, {"ORDO_SHELF_DUST_EVERY_MS", "0"}, {"ORDO_SHELF_AISLES", "b, c"}},
      {{"shelf.label", "top"}, {"shelf.port", "4001"}});
  const auto& shelf = config.section<ShelfSettings>();
  EXPECT_EQ(shelf.shelves, 4);
  EXPECT_EQ(shelf.dust_every, std::chrono::milliseconds(0));
  EXPECT_EQ(shelf.label, "top");
  EXPECT_EQ(shelf.aisles, (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(config.port("shelf"), 4001);
  EXPECT_EQ(value_of(config, "shelf.count"), "4");
  EXPECT_THROW(value_of(config, "shelf.nope"), ConfigError);
}

TEST(ConfigSections, BadValuesAndTheSectionsChecksAreErrors) {
  EXPECT_THROW(load("", {}, {{"shelf.count", "11"}}), ConfigError);
  EXPECT_THROW(load("", {}, {{"shelf.lights", "dim"}}), ConfigError);
  EXPECT_THROW(load("", {}, {{"shelf.aisles", "a,bb"}}), ConfigError);
  EXPECT_THROW(load("", {}, {{"shelf.lights", "false"}, {"shelf.count", "6"}}), ConfigError);
  EXPECT_NO_THROW(load("", {}, {{"shelf.lights", "false"}, {"shelf.count", "5"}}));
}

TEST(ConfigSections, PrintShowsThemMaskingSecretsAndReadsBack) {
  Config config = load("", {}, {{"shelf.label", "hidden"}, {"shelf.count", "7"}});
  auto text = print(config);
  EXPECT_THAT(text, HasSubstr("shelf.count = \"7\""));
  EXPECT_THAT(text, HasSubstr("shelf.label = \"********\""));
  EXPECT_THAT(text, HasSubstr("[ORDO_SHELF_DUST_EVERY_MS]"));
}

TEST(ConfigSections, CopiesAreIndependent) {
  Config first;
  Config second = first;
  second.section<ShelfSettings>().shelves = 9;
  EXPECT_EQ(first.section<ShelfSettings>().shelves, 3);
  EXPECT_EQ(second.section<ShelfSettings>().shelves, 9);
}

TEST(ConfigSections, AKeyTakenTwiceIsRefused) {
  Section again{"shelf-again", {}, nullptr, nullptr};
  again.settings = {number<int>("shelf.count", "again", &ShelfSettings::shelves, 1, 10)};
  EXPECT_THROW(register_section(again), std::logic_error);
  EXPECT_THROW(register_section(service_endpoint_section("shelf", 1, false)), std::logic_error);
}

TEST(ConfigSections, AnUnregisteredSectionReadsAsItsDefaults) {
  struct Unregistered {
    int value = 42;
  };
  const Config config;
  EXPECT_EQ(config.section<Unregistered>().value, 42);
}

}  // namespace
}  // namespace ordo::config
