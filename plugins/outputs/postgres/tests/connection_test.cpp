#include <gtest/gtest.h>

#include "pg_connection.hpp"

using namespace weir::postgres_output;

TEST(PostgresConnection, SecretsOfAConninfo) {
    EXPECT_EQ(conninfo_secrets("postgresql://weir:s3cr%40t@db:5432/logs"),
              std::vector<std::string>{"s3cr%40t"});
    EXPECT_EQ(conninfo_secrets("postgresql://weir@db/logs?password=hunter2&sslmode=require"),
              std::vector<std::string>{"hunter2"});
    EXPECT_EQ(conninfo_secrets("host=db password = 'a b' user=weir"), std::vector<std::string>{"a b"});
    EXPECT_EQ(conninfo_secrets("host=db password=xyz"), std::vector<std::string>{"xyz"});
    EXPECT_TRUE(conninfo_secrets("postgresql://db/logs").empty());
}

TEST(PostgresConnection, RedactReplacesEverySecret) {
    EXPECT_EQ(redact("failed for postgresql://u:pw@h/db with pw", {"pw"}),
              "failed for postgresql://u:***@h/db with ***");
    EXPECT_EQ(redact("nothing here", {"", "zz"}), "nothing here");
}

TEST(PostgresConnection, DescribeNeverShowsUserOrPassword) {
    EXPECT_EQ(describe_conninfo("postgresql://weir:secret@db.example:6543/logs"), "db.example:6543/logs");
    EXPECT_EQ(describe_conninfo("host=127.0.0.1 port=5433 dbname=x user=u password=p"), "127.0.0.1:5433/x");
    EXPECT_EQ(describe_conninfo("this is not = a conninfo '"), "");
}

TEST(PostgresConnection, AServerThatIsNotThereIsAConnectionError) {
    ConnectionSettings s;
    s.conninfo = "postgresql://weir:topsecret@127.0.0.1:1/logs";
    s.secrets = conninfo_secrets(s.conninfo);
    s.secrets.push_back(s.conninfo);
    s.connect_timeout_s = 2;
    Connection c;
    PgError err;
    EXPECT_FALSE(c.open(s, err));
    EXPECT_TRUE(err.connection_lost);
    EXPECT_TRUE(err.sqlstate.empty());
    EXPECT_FALSE(err.message.empty());
    EXPECT_EQ(err.message.find("topsecret"), std::string::npos) << err.message;
}
