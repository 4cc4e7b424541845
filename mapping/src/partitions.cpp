// Time partition upkeep (see partitions.h); the work is done by the SQL
// functions of migrations/003_partitions.sql, in one transaction per call.
#include "liandong/mapping/partitions.h"

#include <pqxx/pqxx>

#include "liandong/core/errors.h"

namespace liandong::mapping {

namespace {
void checkTable(const std::string &table) {
  if (table != "readings" && table != "events")
    throw Error("partition policy: unknown table \"" + table + "\" (readings or events)");
}
}  // namespace

void setPartitionPolicy(pqxx::connection &conn, const PartitionPolicy &policy) {
  checkTable(policy.table);
  if (policy.retentionDays && *policy.retentionDays < 1)
    throw Error("partition policy: " + policy.table + ": retention_days must be at least 1");
  if (policy.aheadDays < 1 || policy.aheadDays > 366)
    throw Error("partition policy: " + policy.table + ": ahead_days must be 1..366");
  pqxx::work tx(conn);
  tx.exec_params(
      "INSERT INTO partition_policy (table_name, retention_days, ahead_days) VALUES ($1, $2, $3) "
      "ON CONFLICT (table_name) DO UPDATE SET retention_days = EXCLUDED.retention_days, "
      "ahead_days = EXCLUDED.ahead_days",
      policy.table, policy.retentionDays, policy.aheadDays);
  tx.commit();
}

std::vector<PartitionPolicy> partitionPolicies(pqxx::connection &conn) {
  pqxx::work tx(conn);
  std::vector<PartitionPolicy> out;
  for (const auto &r :
       tx.exec("SELECT table_name, retention_days, ahead_days FROM partition_policy ORDER BY 1"))
    out.push_back({r[0].as<std::string>(), r[1].is_null() ? std::nullopt : std::optional<int>(r[1].as<int>()),
                   r[2].as<int>()});
  tx.commit();
  return out;
}

PartitionReport maintainPartitions(pqxx::connection &conn, const std::optional<std::string> &today) {
  auto policies = partitionPolicies(conn);
  PartitionReport report;
  pqxx::work tx(conn);
  // Only one maintainer at a time (two centres on one database, or a tool).
  tx.exec("SELECT pg_advisory_xact_lock(hashtext('liandong_partitions'))");
  auto day = today ? tx.exec_params1("SELECT $1::date", *today)[0].as<std::string>()
                   : tx.exec1("SELECT (now() AT TIME ZONE 'UTC')::date")[0].as<std::string>();
  for (const auto &p : policies) {
    for (const auto &r :
         tx.exec_params("SELECT liandong_ensure_partitions($1, $2::date - 1, $2::date + $3::int)", p.table,
                        day, p.aheadDays))
      report.created.push_back(r[0].as<std::string>());
    if (p.retentionDays)
      for (const auto &r : tx.exec_params("SELECT liandong_drop_partitions($1, $2::date - $3::int)", p.table,
                                          day, *p.retentionDays))
        report.dropped.push_back(r[0].as<std::string>());
  }
  tx.commit();
  return report;
}

std::vector<std::string> dayPartitions(pqxx::connection &conn, const std::string &table) {
  checkTable(table);
  pqxx::work tx(conn);
  std::vector<std::string> out;
  for (const auto &r : tx.exec_params(
           "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
           "WHERE i.inhparent = $1::regclass AND c.relname ~ ('^' || $1 || '_[0-9]{8}$') ORDER BY 1",
           table))
    out.push_back(r[0].as<std::string>());
  tx.commit();
  return out;
}

}  // namespace liandong::mapping
