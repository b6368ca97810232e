#include "cli/record_format.h"

#include <gtest/gtest.h>

namespace moldau::cli {
namespace {

std::string render(std::string_view format, const RecordView& r) {
  auto f = RecordFormat::parse(format);
  EXPECT_TRUE(f.ok()) << f.error().message;
  std::string out;
  if (f.ok()) f->render(r, out);
  return out;
}

RecordView sample(const std::vector<HeaderView>& headers) {
  RecordView r;
  r.topic = "orders";
  r.partition = 2;
  r.offset = 1234;
  r.timestamp = 1714564800000;
  r.key = "k1";
  r.value = "hello";
  r.headers = headers;
  return r;
}

TEST(RecordFormat, DefaultIsTheValueAndANewline) {
  EXPECT_EQ(render("%v\\n", sample({})), "hello\n");
}

TEST(RecordFormat, EveryToken) {
  std::vector<HeaderView> h = {{"a", "1"}, {"b", std::nullopt}, {"c", ""}};
  EXPECT_EQ(render("%T/%p@%o %t [%k]=[%v] %K %V {%h}", sample(h)),
            "orders/2@1234 1714564800000 [k1]=[hello] 2 5 {a=1,b,c=}");
}

TEST(RecordFormat, NullKeyAndValuePrintNothingAndLengthMinusOne) {
  RecordView r = sample({});
  r.key = std::nullopt;
  r.value = std::nullopt;
  EXPECT_EQ(render("[%k][%v] %K %V", r), "[][] -1 -1");
  r.key = "";
  EXPECT_EQ(render("%K", r), "0");
}

TEST(RecordFormat, EscapesAndPercent) {
  EXPECT_EQ(render("a\\tb\\r\\n\\\\ 100%%", sample({})), "a\tb\r\n\\ 100%");
  EXPECT_EQ(render("", sample({})), "");
  EXPECT_EQ(render("no tokens", sample({})), "no tokens");
}

TEST(RecordFormat, BinaryValuesPassThrough) {
  RecordView r = sample({});
  std::string bin("\0\xff\n", 3);
  r.value = bin;
  EXPECT_EQ(render("%v", r), bin);
}

TEST(RecordFormat, MistakesAreErrorsThatNameTheToken) {
  auto f = RecordFormat::parse("%x");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().message.find("%x"), std::string::npos) << f.error().message;
  f = RecordFormat::parse("\\q");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().message.find("\\q"), std::string::npos) << f.error().message;
  EXPECT_FALSE(RecordFormat::parse("trailing %").ok());
  EXPECT_FALSE(RecordFormat::parse("trailing \\").ok());
}

}  // namespace
}  // namespace moldau::cli
