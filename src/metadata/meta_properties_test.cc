#include "metadata/meta_properties.h"

#include <gtest/gtest.h>

#include <fstream>

#include "metadata/test_util.h"

namespace moldau::metadata {
namespace {

using testing::TempDir;

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

TEST(MetaProperties, WriteReadRoundTrip) {
  TempDir dir;
  MetaProperties m{1, "AAAAAAAAAAEAAAAAAAAAAQ", 3, "AAAAAAAAAAIAAAAAAAAAAg"};
  ASSERT_TRUE(write_meta_properties(dir.path(), m));
  auto r = read_meta_properties(dir.path());
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r.value().has_value());
  EXPECT_EQ(*r.value(), m);
}

TEST(MetaProperties, ReadsKafkaWrittenFile) {
  TempDir dir;
  write_file(dir.sub("meta.properties"),
             "#\n#Tue Mar 04 10:00:00 UTC 2025\nnode.id=1\ndirectory.id=h3sC4Yk-Q9-fd0ntJTocCA\n"
             "version=1\ncluster.id=MkU3OEVBNTcwNTJENDM2Qk\n");
  auto r = read_meta_properties(dir.path());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.value()->cluster_id, "MkU3OEVBNTcwNTJENDM2Qk");
  EXPECT_EQ(r.value()->node_id, 1);
  EXPECT_EQ(r.value()->directory_id, "h3sC4Yk-Q9-fd0ntJTocCA");
}

TEST(MetaProperties, MissingFileIsNone) {
  TempDir dir;
  auto r = read_meta_properties(dir.path());
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r.value().has_value());
}

TEST(MetaProperties, MalformedFilesAreRefused) {
  TempDir dir;
  struct Case {
    const char* text;
    const char* why;
  } cases[] = {
      {"cluster.id=x\nnode.id=1\n", "missing key version"},
      {"version=0\nbroker.id=1\ncluster.id=x\n", "ZooKeeper"},
      {"version=2\ncluster.id=x\nnode.id=1\n", "version=2"},
      {"version=1\nnode.id=1\n", "missing key cluster.id"},
      {"version=1\ncluster.id=x\n", "missing key node.id"},
      {"version=1\ncluster.id=x\nnode.id=one\n", "node.id=one"},
  };
  for (const auto& c : cases) {
    write_file(dir.sub("meta.properties"), c.text);
    auto r = read_meta_properties(dir.path());
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidConfig);
    EXPECT_NE(r.error().message.find(c.why), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("meta.properties"), std::string::npos);
  }
}

TEST(MetaProperties, FirstStartFormatsEveryDirectory) {
  TempDir root;
  std::vector<std::string> dirs = {root.sub("a"), root.sub("b/c")};
  auto id = ensure_meta_properties(dirs, 7, std::nullopt);
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_TRUE(is_valid_cluster_id(id.value()));
  auto a = read_meta_properties(dirs[0]);
  auto b = read_meta_properties(dirs[1]);
  ASSERT_TRUE(a.ok() && b.ok() && a.value() && b.value());
  EXPECT_EQ(a.value()->cluster_id, id.value());
  EXPECT_EQ(b.value()->node_id, 7);
  EXPECT_NE(a.value()->directory_id, b.value()->directory_id);
  // Second start: same cluster id, nothing rewritten.
  auto again = ensure_meta_properties(dirs, 7, std::nullopt);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.value(), id.value());
  EXPECT_EQ(*read_meta_properties(dirs[0]).value(), *a.value());
}

TEST(MetaProperties, NewDirectoryJoinsExistingCluster) {
  TempDir root;
  auto id = ensure_meta_properties({root.sub("a")}, 1, std::nullopt);
  ASSERT_TRUE(id.ok());
  auto two = ensure_meta_properties({root.sub("a"), root.sub("new")}, 1, std::nullopt);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(read_meta_properties(root.sub("new")).value()->cluster_id, id.value());
}

TEST(MetaProperties, ConfiguredClusterIdIsUsedAndChecked) {
  TempDir root;
  const std::string cid = "AAAAAAAAAAEAAAAAAAAAAQ";
  auto id = ensure_meta_properties({root.sub("a")}, 1, cid);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id.value(), cid);
  auto other = ensure_meta_properties({root.sub("a")}, 1, std::string("AAAAAAAAAAIAAAAAAAAAAg"));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, ErrorCode::kInconsistentClusterId);
  EXPECT_NE(other.error().message.find(cid), std::string::npos) << other.error().message;
  auto bad = ensure_meta_properties({root.sub("a")}, 1, std::string("not-a-uuid"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidConfig);
  EXPECT_NE(bad.error().message.find("not-a-uuid"), std::string::npos);
}

TEST(MetaProperties, DisagreeingDirectoriesAreRefused) {
  TempDir root;
  ASSERT_TRUE(ensure_meta_properties({root.sub("a")}, 1, std::nullopt).ok());
  ASSERT_TRUE(ensure_meta_properties({root.sub("b")}, 1, std::nullopt).ok());
  auto r = ensure_meta_properties({root.sub("a"), root.sub("b")}, 1, std::nullopt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInconsistentClusterId);
  EXPECT_NE(r.error().message.find("different clusters"), std::string::npos);
}

TEST(MetaProperties, OtherNodesDirectoryIsRefused) {
  TempDir root;
  ASSERT_TRUE(ensure_meta_properties({root.sub("a")}, 1, std::nullopt).ok());
  auto r = ensure_meta_properties({root.sub("a")}, 2, std::nullopt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidConfig);
  EXPECT_NE(r.error().message.find("node.id=1"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("node.id=2"), std::string::npos);
}

TEST(MetaProperties, CopiedDirectoryIsRefused) {
  TempDir root;
  MetaProperties m{1, "AAAAAAAAAAEAAAAAAAAAAQ", 1, "AAAAAAAAAAIAAAAAAAAAAg"};
  std::filesystem::create_directories(root.sub("a"));
  std::filesystem::create_directories(root.sub("b"));
  ASSERT_TRUE(write_meta_properties(root.sub("a"), m));
  ASSERT_TRUE(write_meta_properties(root.sub("b"), m));
  auto r = ensure_meta_properties({root.sub("a"), root.sub("b")}, 1, std::nullopt);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("directory.id"), std::string::npos);
}

}  // namespace
}  // namespace moldau::metadata
