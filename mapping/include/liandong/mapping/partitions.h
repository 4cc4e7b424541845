// Time partitions of `readings` and `events` (one per UTC day): created ahead
// of time and dropped after the retention period, following the policy kept
// in the `partition_policy` table (see migrations/003_partitions.sql).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <pqxx/connection>

namespace liandong::mapping {

struct PartitionPolicy {
  std::string table;                 // "readings" or "events"
  std::optional<int> retentionDays;  // nullopt: keep everything
  int aheadDays = 7;                 // day partitions kept ready ahead of today
};

struct PartitionReport {
  std::vector<std::string> created;
  std::vector<std::string> dropped;
};

// Stores the policy for one table. Throws Error on a bad table or value.
void setPartitionPolicy(pqxx::connection &conn, const PartitionPolicy &policy);
std::vector<PartitionPolicy> partitionPolicies(pqxx::connection &conn);

// Creates the partitions from yesterday to today + ahead_days and drops those
// older than today - retention_days, for both tables. `today` (YYYY-MM-DD,
// UTC) defaults to the database's clock; tests move it.
PartitionReport maintainPartitions(pqxx::connection &conn, const std::optional<std::string> &today = {});

// The day partitions of a table, oldest first (names like readings_20261122).
std::vector<std::string> dayPartitions(pqxx::connection &conn, const std::string &table);

}  // namespace liandong::mapping
