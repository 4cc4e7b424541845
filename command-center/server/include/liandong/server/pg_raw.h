// A thin RAII layer over libpq for the intake's hot path, where libpqxx 6.4
// has no way in: one connection that runs statements and prepared
// statements with text parameters and takes COPY data in PostgreSQL's binary
// format (no escaping or number formatting on our side, no text parsing on
// the server's). Errors throw PgRawError with the SQLSTATE and the server's
// first line; a dead connection is reported as such so the caller reconnects.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace liandong::server {

class PgRawError : public std::runtime_error {
public:
  PgRawError(const std::string &what, std::string sqlstate, bool connectionLost)
      : std::runtime_error(what), sqlstate_(std::move(sqlstate)), connectionLost_(connectionLost) {}
  const std::string &sqlstate() const { return sqlstate_; }
  bool connectionLost() const { return connectionLost_; }
  bool uniqueViolation() const { return sqlstate_ == "23505"; }

private:
  std::string sqlstate_;
  bool connectionLost_;
};

struct PgResultFree {
  void operator()(PGresult *r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, PgResultFree>;

class PgRaw {
public:
  explicit PgRaw(const std::string &conninfo);  // throws PgRawError (connectionLost)
  bool ok() const { return conn_ && PQstatus(conn_.get()) == CONNECTION_OK; }

  // Runs SQL with no parameters (may hold several statements).
  void exec(const std::string &sql);
  void prepare(const std::string &name, const std::string &sql);
  // Text parameters; std::nullopt is NULL. Returns the rows (possibly none).
  PgResult execPrepared(const std::string &name, const std::vector<std::optional<std::string>> &params);
  // COPY ... FROM STDIN (FORMAT binary) with `data` from BinaryCopy.
  void copyIn(const std::string &copySql, const std::string &data);

private:
  PgResult check(PGresult *r, ExecStatusType want, const std::string &what);
  PgResult done(PGresult *r, const std::string &what);  // COMMAND_OK or TUPLES_OK, else throws
  struct Finish {
    void operator()(PGconn *c) const { PQfinish(c); }
  };
  std::unique_ptr<PGconn, Finish> conn_;
};

// Builds the data of a binary COPY: header, rows of fields, trailer.
class BinaryCopy {
public:
  BinaryCopy() {
    static const char header[] = "PGCOPY\n\377\r\n\0";
    buf_.append(header, 11);
    be32(0);  // flags
    be32(0);  // header extension length
  }
  void row(std::int16_t fields) { be16(static_cast<std::uint16_t>(fields)); }
  void text(std::string_view s) {
    be32(static_cast<std::uint32_t>(s.size()));
    buf_.append(s.data(), s.size());
  }
  void int8(std::int64_t v) {
    be32(8);
    be64(static_cast<std::uint64_t>(v));
  }
  void float8(double v) {
    std::uint64_t bits;
    std::memcpy(&bits, &v, 8);
    be32(8);
    be64(bits);
  }
  // timestamptz: microseconds since 2000-01-01 UTC on the wire.
  void timestamptzUnixUs(std::int64_t unixUs) {
    constexpr std::int64_t kPgEpochUnixUs = 946684800LL * 1000000LL;
    int8(unixUs - kPgEpochUnixUs);
  }
  void bytes(const void *p, std::size_t n) {
    be32(static_cast<std::uint32_t>(n));
    buf_.append(static_cast<const char *>(p), n);
  }
  void null() { be32(0xFFFFFFFFu); }
  // Appends the trailer; the data is then complete.
  const std::string &finish() {
    be16(0xFFFF);
    return buf_;
  }
  bool empty() const { return buf_.size() <= 19; }
  void reserve(std::size_t n) { buf_.reserve(n); }

private:
  void be16(std::uint16_t v) {
    char b[2] = {static_cast<char>(v >> 8), static_cast<char>(v)};
    buf_.append(b, 2);
  }
  void be32(std::uint32_t v) {
    char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                 static_cast<char>(v)};
    buf_.append(b, 4);
  }
  void be64(std::uint64_t v) {
    be32(static_cast<std::uint32_t>(v >> 32));
    be32(static_cast<std::uint32_t>(v));
  }
  std::string buf_;
};

}  // namespace liandong::server
