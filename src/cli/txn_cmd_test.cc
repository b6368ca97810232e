#include "cli/txn_cmd.h"

#include <gtest/gtest.h>

namespace moldau::cli {
namespace {

TEST(TxnCmd, ListTableAndJson) {
  std::vector<TxnListing> txns = {{"orders-tx", 4000, "Ongoing", 1}, {"b", 4001, "CompleteCommit", 1}};
  std::string t = render_txn_list(txns);
  EXPECT_NE(t.find("TRANSACTIONAL ID"), std::string::npos);
  EXPECT_NE(t.find("orders-tx"), std::string::npos);
  EXPECT_NE(t.find("CompleteCommit"), std::string::npos);
  EXPECT_EQ(render_txn_list({}), "No transactional ids.\n");
  std::string j = txn_list_json(txns).dump(-1);
  EXPECT_NE(j.find("\"transactional_id\":\"orders-tx\""), std::string::npos) << j;
  EXPECT_NE(j.find("\"producer_id\":4000"), std::string::npos) << j;
}

TEST(TxnCmd, DescribeShowsPartitionsAndRunningTime) {
  TxnDescription d;
  d.transactional_id = "tx";
  d.state = "Ongoing";
  d.producer_id = 7;
  d.producer_epoch = 2;
  d.timeout_ms = 60000;
  d.start_ms = 1000;
  d.coordinator = 1;
  d.topics = {{"out", {0, 1, 2, 5}}};
  std::string t = render_txn_describe(d, 3500);
  EXPECT_NE(t.find("Running for:      2500 ms"), std::string::npos) << t;
  EXPECT_NE(t.find("0-2,5"), std::string::npos) << t;
  std::string j = txn_describe_json(d).dump(-1);
  EXPECT_NE(j.find("\"partitions\":[{\"topic\":\"out\",\"partitions\":[0,1,2,5]}]"), std::string::npos) << j;
  d.start_ms = -1;
  d.topics.clear();
  t = render_txn_describe(d, 3500);
  EXPECT_EQ(t.find("Running for"), std::string::npos);
  EXPECT_NE(t.find("Partitions:       none"), std::string::npos);
  EXPECT_NE(txn_describe_json(d).dump(-1).find("\"start_time_ms\":null"), std::string::npos);
}

}  // namespace
}  // namespace moldau::cli
