#include "base/properties.h"

#include <gtest/gtest.h>

namespace moldau {
namespace {

std::vector<PropertyEntry> parse_ok(std::string_view text) {
  auto r = parse_properties(text);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? r.value() : std::vector<PropertyEntry>{};
}

TEST(Properties, SeparatorsAndLines) {
  auto e = parse_ok("a=1\nb:2\nc 3\n  d = 4 \ne\t:\t5\nf\n");
  ASSERT_EQ(e.size(), 6u);
  EXPECT_EQ(e[0], (PropertyEntry{"a", "1", 1}));
  EXPECT_EQ(e[1], (PropertyEntry{"b", "2", 2}));
  EXPECT_EQ(e[2], (PropertyEntry{"c", "3", 3}));
  EXPECT_EQ(e[3], (PropertyEntry{"d", "4 ", 4}));  // trailing blanks stay, as in Java
  EXPECT_EQ(e[4], (PropertyEntry{"e", "5", 5}));
  EXPECT_EQ(e[5], (PropertyEntry{"f", "", 6}));
}

TEST(Properties, OnlyOneSeparatorIsConsumed) {
  auto e = parse_ok("a==b\nc = :d\ne :=f\n");
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].value, "=b");
  EXPECT_EQ(e[1].value, ":d");
  EXPECT_EQ(e[2].value, "=f");
}

TEST(Properties, CommentsAndBlankLines) {
  auto e = parse_ok("# comment\n   ! also comment\n\n   \t\nkey=value # not a comment\n");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0], (PropertyEntry{"key", "value # not a comment", 5}));
}

TEST(Properties, LineEndings) {
  auto e = parse_ok("a=1\r\nb=2\rc=3");
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[1], (PropertyEntry{"b", "2", 2}));
  EXPECT_EQ(e[2], (PropertyEntry{"c", "3", 3}));
}

TEST(Properties, Continuations) {
  auto e = parse_ok("listeners=PLAINTEXT://:9092,\\\n    CONTROLLER://:9093\nnext=x\n");
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0], (PropertyEntry{"listeners", "PLAINTEXT://:9092,CONTROLLER://:9093", 1}));
  EXPECT_EQ(e[1].line, 3);
}

TEST(Properties, EvenBackslashesDoNotContinue) {
  auto e = parse_ok("a=x\\\\\nb=y\n");
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].value, "x\\");
}

TEST(Properties, CommentLineInsideContinuationIsValue) {
  auto e = parse_ok("a=1\\\n# still value\n");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].value, "1# still value");
}

TEST(Properties, CommentLinesDoNotContinue) {
  auto e = parse_ok("# comment \\\na=1\n");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].key, "a");
}

TEST(Properties, ContinuationAtEndOfInput) {
  auto e = parse_ok("a=1\\");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].value, "1");
}

TEST(Properties, Escapes) {
  auto e = parse_ok("k\\ ey\\=\\:=v\\t\\n\\r\\f\\\\\\q\\#\nu=\\u0041\\u00e9\\u20AC\nsp=\\ lead\n");
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].key, "k ey=:");
  EXPECT_EQ(e[0].value, "v\t\n\r\f\\q#");
  EXPECT_EQ(e[1].value, "A\xc3\xa9\xe2\x82\xac");
  EXPECT_EQ(e[2].value, " lead");
}

TEST(Properties, SurrogatePairs) {
  auto e = parse_ok("smile=\\uD83D\\uDE00\n");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].value, "\xf0\x9f\x98\x80");
}

TEST(Properties, Utf8PassesThrough) {
  auto e = parse_ok("name=Vltava \xc5\x99\x65ka\n");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].value, "Vltava \xc5\x99\x65ka");
}

TEST(Properties, MalformedUnicodeEscapeNamesLine) {
  for (const char* text : {"a=1\nb=\\u12\n", "a=1\nb=\\u12G4\n", "a=1\nb=\\uD83Dx\n",
                           "a=1\nb=\\uDE00\n"}) {
    auto r = parse_properties(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidConfig);
    EXPECT_NE(r.error().message.find("line 2"), std::string::npos) << r.error().message;
  }
}

TEST(Properties, DuplicatesKeptInOrder) {
  auto e = parse_ok("a=1\na=2\n");
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[1].value, "2");
}

TEST(Properties, EscapeRoundTrips) {
  for (std::string s : {"plain", " lead", "a=b:c", "#x", "!y", "tab\there", "back\\slash",
                        "new\nline", "trail "}) {
    std::string text = escape_property(s, true) + "=" + escape_property(s, false) + "\n";
    auto e = parse_ok(text);
    ASSERT_EQ(e.size(), 1u) << text;
    EXPECT_EQ(e[0].key, s) << text;
    EXPECT_EQ(e[0].value, s) << text;
  }
}

TEST(Properties, MissingFileIsStorageError) {
  auto r = read_properties_file("/nonexistent/dir/server.properties");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kKafkaStorageError);
  EXPECT_NE(r.error().message.find("/nonexistent/dir/server.properties"), std::string::npos);
}

}  // namespace
}  // namespace moldau
