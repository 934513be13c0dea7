#include "core/options.h"

#include <gtest/gtest.h>

namespace graft {
namespace {

struct ToyOptions {
  double rate = 0.5;
  std::int64_t count = 3;
  std::string mode = "fast";
  std::vector<std::int64_t> widths{4, 8};
  bool flag = false;
  static void declare(OptionSet<ToyOptions>& o) {
    o.add("rate", &ToyOptions::rate, "a rate").min(0.0).max(1.0);
    o.add("count", &ToyOptions::count, "a count").min(1);
    o.add("mode", &ToyOptions::mode, "a mode").choices({"fast", "slow"});
    o.add("widths", &ToyOptions::widths, "widths").min(1);
    o.add("flag", &ToyOptions::flag, "a flag");
  }
};

std::string error_of(const std::string& yaml) {
  try {
    options_of<ToyOptions>().parse(parse_config_text(yaml, "toy.yaml"), "method", "method 'toy'");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(Options, DefaultsComeFromTheStruct) {
  const ToyOptions o = options_of<ToyOptions>().parse(ConfigNode(), "method", "toy");
  EXPECT_EQ(o.rate, 0.5);
  EXPECT_EQ(o.widths, (std::vector<std::int64_t>{4, 8}));
}

TEST(Options, ParsesEveryType) {
  const ToyOptions o = options_of<ToyOptions>().parse(
      parse_config_text("{rate: 0.25, count: 7, mode: slow, widths: [2], flag: true}", "t"), "m", "toy");
  EXPECT_EQ(o.rate, 0.25);
  EXPECT_EQ(o.count, 7);
  EXPECT_EQ(o.mode, "slow");
  EXPECT_EQ(o.widths, std::vector<std::int64_t>{2});
  EXPECT_TRUE(o.flag);
}

TEST(Options, UnknownKeyNamesPositionPathChoicesAndNearest) {
  const std::string e = error_of("{rate: 0.1,\n raet: 2}");
  EXPECT_NE(e.find("toy.yaml:2:2"), std::string::npos) << e;
  EXPECT_NE(e.find("method.raet"), std::string::npos) << e;
  EXPECT_NE(e.find("rate, count, mode, widths, flag"), std::string::npos) << e;
  EXPECT_NE(e.find("Did you mean 'rate'"), std::string::npos) << e;
}

TEST(Options, WrongTypeAndRangeAreErrors) {
  EXPECT_NE(error_of("{count: many}").find("expected an integer"), std::string::npos);
  EXPECT_NE(error_of("{count: 1.5}").find("expected an integer"), std::string::npos);
  EXPECT_NE(error_of("{rate: 2}").find("out of range"), std::string::npos);
  EXPECT_NE(error_of("{widths: [3, 0]}").find("element 1"), std::string::npos);
  EXPECT_NE(error_of("{flag: maybe}").find("true or false"), std::string::npos);
  EXPECT_NE(error_of("{rate: [1]}").find("got a list"), std::string::npos);
  const std::string choice = error_of("{mode: fsat}");
  EXPECT_NE(choice.find("Did you mean 'fast'"), std::string::npos) << choice;
}

TEST(Options, DumpWritesEveryFieldAndReadsBack) {
  ToyOptions o;
  o.rate = 0.1;
  const ConfigNode dumped = options_of<ToyOptions>().dump(o);
  EXPECT_EQ(dumped.keys(), (std::vector<std::string>{"rate", "count", "mode", "widths", "flag"}));
  const ToyOptions back = options_of<ToyOptions>().parse(parse_config_text(dumped.to_yaml(), "t"), "m", "toy");
  EXPECT_EQ(back.rate, 0.1);
}

TEST(Options, DocsShowDefaultsAndConstraints) {
  const auto docs = options_of<ToyOptions>().docs();
  ASSERT_EQ(docs.size(), 5u);
  EXPECT_EQ(docs[0].default_value, "0.5");
  EXPECT_EQ(docs[0].constraint, ">= 0, <= 1");
  EXPECT_EQ(docs[2].constraint, "one of: fast, slow");
}

}  // namespace
}  // namespace graft
