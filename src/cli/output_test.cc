#include "cli/output.h"

#include <gtest/gtest.h>

namespace moldau::cli {
namespace {

TEST(Table, AlignsColumnsWithoutTrailingSpaces) {
  Table t({"TOPIC", "PARTITIONS", "ID"});
  t.add_row({"orders", "3", "abc"});
  t.add_row({"a-much-longer-name", "12", ""});
  EXPECT_EQ(t.render(),
            "TOPIC               PARTITIONS  ID\n"
            "orders              3           abc\n"
            "a-much-longer-name  12\n");
}

TEST(Table, CountsUtf8CodePointsNotBytes) {
  Table t({"A", "B"});
  t.add_row({"Moldau", "x"});
  t.add_row({"Vltava\xC5\xA1", "y"});  // "Vltavaš": 7 code points, 8 bytes
  EXPECT_EQ(t.render(),
            "A        B\n"
            "Moldau   x\n"
            "Vltava\xC5\xA1  y\n");
}

TEST(Table, ShortRowsArePadded) {
  Table t({"A", "B", "C"});
  t.add_row({"1"});
  EXPECT_EQ(t.render(), "A  B  C\n1\n");
}

TEST(Numbers, GroupDigitsBytesAndRanges) {
  EXPECT_EQ(group_digits(0), "0");
  EXPECT_EQ(group_digits(999), "999");
  EXPECT_EQ(group_digits(1000), "1,000");
  EXPECT_EQ(group_digits(1234567), "1,234,567");
  EXPECT_EQ(group_digits(-1234), "-1,234");
  EXPECT_EQ(group_digits(INT64_MIN), "-9,223,372,036,854,775,808");
  EXPECT_EQ(format_bytes(0), "0 B");
  EXPECT_EQ(format_bytes(1023), "1023 B");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_bytes(4 * 1024 * 1024 - 1), "4.0 MiB");
  EXPECT_EQ(format_bytes(int64_t(3) << 30), "3.0 GiB");
  EXPECT_EQ(id_ranges({}), "-");
  EXPECT_EQ(id_ranges({3}), "3");
  EXPECT_EQ(id_ranges({8, 0, 2, 1, 5, 7, 1}), "0-2,5,7-8");
}

TEST(JsonQuote, EscapesWhatJsonRequires) {
  EXPECT_EQ(json_quote("plain"), "\"plain\"");
  EXPECT_EQ(json_quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(json_quote("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\"");
  EXPECT_EQ(json_quote(std::string("\x01\x1f\x7f", 3)), "\"\\u0001\\u001f\\u007f\"");
  EXPECT_EQ(json_quote(std::string("a\0b", 3)), "\"a\\u0000b\"");
}

TEST(JsonQuote, KeepsValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(json_quote("\xC5\xA1\xE2\x82\xAC\xF0\x9F\x98\x80"), "\"\xC5\xA1\xE2\x82\xAC\xF0\x9F\x98\x80\"");
  // A lone continuation byte, a truncated sequence, an overlong '/', a
  // UTF-16 surrogate and a byte that never appears in UTF-8.
  EXPECT_EQ(json_quote("\x80"), "\"\\ufffd\"");
  EXPECT_EQ(json_quote("a\xE2\x82"), "\"a\\ufffd\\ufffd\"");
  EXPECT_EQ(json_quote("\xC0\xAF"), "\"\\ufffd\\ufffd\"");
  EXPECT_EQ(json_quote("\xED\xA0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");
  EXPECT_EQ(json_quote("\xFF"), "\"\\ufffd\"");
}

TEST(Json, DumpsCompactAndPretty) {
  Json o = Json::object();
  o.set("name", "orders");
  o.set("partitions", 3);
  o.set("internal", false);
  o.set("id", nullptr);
  Json a = Json::array();
  a.push(1);
  a.push("two");
  o.set("list", std::move(a));
  o.set("empty", Json::array());
  EXPECT_EQ(o.dump(-1),
            "{\"name\":\"orders\",\"partitions\":3,\"internal\":false,\"id\":null,"
            "\"list\":[1,\"two\"],\"empty\":[]}");
  EXPECT_EQ(o.dump(2),
            "{\n"
            "  \"name\": \"orders\",\n"
            "  \"partitions\": 3,\n"
            "  \"internal\": false,\n"
            "  \"id\": null,\n"
            "  \"list\": [1, \"two\"],\n"
            "  \"empty\": []\n"
            "}");
}

TEST(Json, ArraysOfObjectsAreOneElementPerLine) {
  Json a = Json::array();
  a.push(Json::object()).set("a", 1);
  a.push(Json::array());
  EXPECT_EQ(a.dump(2), "[\n  {\n    \"a\": 1\n  },\n  []\n]");
}

TEST(Json, SetReplacesAnExistingKeyInPlace) {
  Json o = Json::object();
  o.set("a", 1);
  o.set("b", 2);
  o.set("a", 3);
  EXPECT_EQ(o.dump(-1), "{\"a\":3,\"b\":2}");
}

TEST(Json, KeysAreEscapedAndNonFiniteNumbersAreNull) {
  Json o = Json::object();
  o.set("k\"ey", 1.5);
  o.set("nan", std::numeric_limits<double>::quiet_NaN());
  o.set("big", int64_t(9007199254740993));
  EXPECT_EQ(o.dump(-1), "{\"k\\\"ey\":1.5,\"nan\":null,\"big\":9007199254740993}");
}

}  // namespace
}  // namespace moldau::cli
