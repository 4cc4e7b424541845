// Tests of ConfigNode: typed reads, errors naming file/line/key, unknown keys,
// environment expansion.
#include <cstdlib>

#include <gtest/gtest.h>

#include "liandong/core/config.h"
#include "liandong/core/errors.h"

using liandong::ConfigError;
using liandong::ConfigNode;

namespace {
std::string errorOf(const std::function<void()> &f) {
  try {
    f();
  } catch (const ConfigError &e) {
    return e.what();
  }
  return "(no error)";
}
}  // namespace

TEST(Config, ReadsTypedValues) {
  auto c = ConfigNode::loadString(
      "a: 3\nb: 2.5\nc: yes\nd: text\nsub:\n  x: 1\nlist:\n  - {k: v}\n  - {k: w}\n", "t.yaml");
  EXPECT_EQ(c.integer("a"), 3);
  EXPECT_DOUBLE_EQ(c.number("b"), 2.5);
  EXPECT_TRUE(c.boolean("c", false));
  EXPECT_EQ(c.str("d"), "text");
  EXPECT_EQ(c.child("sub").integer("x"), 1);
  auto l = c.list("list");
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0].str("k"), "v");
  EXPECT_EQ(l[1].str("k"), "w");
  EXPECT_EQ(c.integer("missing", 7), 7);
  EXPECT_NO_THROW(c.rejectUnknown());
}

TEST(Config, MissingKeyNamesFileLineAndKey) {
  auto c = ConfigNode::loadString("centre:\n  id: x\n", "centre.yaml");
  EXPECT_EQ(errorOf([&] { c.child("centre").str("intake"); }),
            "centre.yaml:2: centre.intake: required key is missing");
}

TEST(Config, BadValueNamesLine) {
  auto c = ConfigNode::loadString("a: 1\nport: seven\n", "n.yaml");
  EXPECT_EQ(errorOf([&] { c.integer("port"); }), "n.yaml:2: port: expected an integer, got \"seven\"");
}

TEST(Config, UnknownKeyIsRejectedWithLine) {
  auto c = ConfigNode::loadString("node:\n  id: a\n  tyop: 3\n", "n.yaml");
  c.child("node").str("id");
  EXPECT_EQ(errorOf([&] { c.rejectUnknown(); }), "n.yaml:3: node.tyop: unknown key");
}

TEST(Config, UnknownKeyInsideListItem) {
  auto c = ConfigNode::loadString("s:\n  - id: a\n  - id: b\n    extra: 1\n", "n.yaml");
  for (auto &i : c.list("s")) i.str("id");
  EXPECT_EQ(errorOf([&] { c.rejectUnknown(); }), "n.yaml:4: s[1].extra: unknown key");
}

TEST(Config, MalformedYamlNamesLine) {
  auto msg = errorOf([] { ConfigNode::loadString("a: [1, 2\nb: 3\n", "bad.yaml"); });
  EXPECT_EQ(msg.rfind("bad.yaml:", 0), 0u) << msg;
}

TEST(Config, MissingFile) {
  EXPECT_EQ(errorOf([] { ConfigNode::loadFile("/nonexistent/x.yaml"); }),
            "/nonexistent/x.yaml: cannot open configuration file");
}

TEST(Config, TopLevelMustBeMapping) {
  EXPECT_EQ(errorOf([] { ConfigNode::loadString("- a\n- b\n", "l.yaml"); }),
            "l.yaml: the top level must be a mapping of keys");
}

TEST(Config, ChoiceListsAllowedValues) {
  auto c = ConfigNode::loadString("when_full: drop\n", "o.yaml");
  EXPECT_EQ(errorOf([&] {
              c.choice("when_full", {"block", "shed"}, "block");
            }),
            "o.yaml:1: when_full: \"drop\" is not one of: block, shed");
}

TEST(Config, ExpandsEnvironment) {
  setenv("LD_TEST_PORT", "7300", 1);
  unsetenv("LD_TEST_UNSET");
  auto c = ConfigNode::loadString(
      "a: tcp://h:${LD_TEST_PORT}\nb: ${LD_TEST_UNSET:-dflt}\nc: ${LD_TEST_UNSET}\n", "e.yaml");
  EXPECT_EQ(c.str("a"), "tcp://h:7300");
  EXPECT_EQ(c.str("b"), "dflt");
  EXPECT_EQ(errorOf([&] { c.str("c"); }), "e.yaml:3: c: environment variable LD_TEST_UNSET is not set");
}

TEST(Config, PathsAreRelativeToTheFile) {
  char tmpl[] = "/tmp/ldcfgXXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string file = std::string(tmpl) + "/n.yaml";
  FILE *f = fopen(file.c_str(), "w");
  fputs("keys: keys/a.key\nabs: /etc/x\n", f);
  fclose(f);
  auto c = ConfigNode::loadFile(file);
  EXPECT_EQ(c.path("keys"), std::filesystem::path(tmpl) / "keys/a.key");
  EXPECT_EQ(c.path("abs"), "/etc/x");
  std::filesystem::remove_all(tmpl);
}

TEST(Config, DollarBracesThatAreNotReferencesStayLiteral) {
  // Z85 keys may contain "${" — they must never be expanded or refused.
  auto c = ConfigNode::loadString("k: '@nZ5+tF%Hu^bPtvA8${cJLsUJbv*>Zwrx&$+1F{b'\nu: 'a${b'\n", "k.yaml");
  EXPECT_EQ(c.literal("k"), "@nZ5+tF%Hu^bPtvA8${cJLsUJbv*>Zwrx&$+1F{b");
  EXPECT_EQ(c.str("k"), "@nZ5+tF%Hu^bPtvA8${cJLsUJbv*>Zwrx&$+1F{b");
  EXPECT_EQ(c.str("u"), "a${b");
}

// Found by the rule-loader fuzz target: a list used as a mapping key.
TEST(Config, AComplexKeyIsAConfigErrorNotACrash) {
  auto cfg = ConfigNode::loadString("a: 1\n? [x, y]\n: 2\n", "odd.yaml");
  cfg.integer("a");
  try {
    cfg.rejectUnknown();
    FAIL();
  } catch (const ConfigError &e) {
    EXPECT_NE(std::string(e.what()).find("odd.yaml:2:"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("a key must be a plain name"), std::string::npos) << e.what();
  }
}
