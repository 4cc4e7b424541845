// The centre's intake store: commits each batch from the link to PostgreSQL
// in one transaction (readings to `readings`, every other message to
// `events`, the senders' watermarks to `link_watermarks`), so that an ack
// always means "durably stored". Duplicates are ignored by the unique
// (sender_id, sequence) keys. Reconnects by itself after a database restart.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/connection>
#include <pqxx/transaction>

#include "liandong/core/link/receiver.h"
#include "liandong/core/text.h"
#include "liandong/mapping/region_index.h"

namespace spdlog {
class logger;
}

namespace liandong::server {

class PgRaw;
class BinaryCopy;

// The text fields of a reading envelope, checked for NUL characters directly
// (readings are most of the traffic); a test keeps this list equal to the
// schema's.
inline const std::vector<std::string> kReadingTextFields{
    "distribution_id",         "sender_id",         "sender_region",    "incident_id",
    "target_area.region_code", "reading.sensor_id", "reading.quantity", "reading.unit"};
// The first of kReadingTextFields that holds a NUL character.
std::optional<std::string> readingFieldWithNul(const wire::Envelope &env);

// One message newly stored (not a duplicate), with the county it fell in.
struct StoredItem {
  const link::IncomingMessage *message = nullptr;
  std::string regionCode;  // empty when outside every county
};

class PgIntakeStore : public link::IntakeStore {
public:
  using StoredCallback = std::function<void(const StoredItem &)>;
  PgIntakeStore(std::string conninfo, StoredCallback onStored);
  ~PgIntakeStore() override;

  std::map<std::string, std::uint64_t> loadWatermarks() override;
  std::map<std::string, std::vector<std::uint64_t>> loadSettled() override;
  // Who may send what (the centre's IntakeGate): a reason to refuse a
  // message from its sender, or nullopt. Called by validate() on messages
  // that are well formed. Receiver thread.
  using Gate = std::function<std::optional<std::string>(const link::IncomingMessage &)>;
  void setGate(Gate gate) { gate_ = std::move(gate); }
  // PostgreSQL text and jsonb cannot hold NUL characters: refuse such
  // messages (bytes fields, such as a photo, may hold any byte); then the gate.
  std::optional<std::string> validate(const link::IncomingMessage &message) override;
  void commit(const std::vector<link::IncomingMessage> &batch,
              const std::map<std::string, std::uint64_t> &watermarks) override;
  // Calls the StoredCallback for what the last commit stored (receiver thread).
  void afterCommit(const std::vector<link::IncomingMessage> &batch) override;

  // The state consoles start from after a centre restart: the latest reading
  // of every sensor, with its county.
  std::vector<wire::StateUpdate> loadState();

  // Records a peer's link state (alive / lost) in `link_peers`.
  void setPeerState(const std::string &peerId, const std::string &state);

  // Stores a message the centre made itself (an alert of its own rules) in
  // `events`, unsequenced; receiver thread. Throws on a database error.
  void storeOwn(const wire::Envelope &envelope, const std::string &regionCode);

  std::uint64_t readingsStored() const { return readings_.load(); }
  std::uint64_t eventsStored() const { return events_.load(); }

private:
  std::optional<std::string> wellFormed(const link::IncomingMessage &message);
  pqxx::connection &connection();
  // Places the batch's new sensor positions in the region cache.
  void locate(const std::vector<link::IncomingMessage> &batch);
  PgRaw &raw();
  // The batch's readings as binary COPY data; returns them in that order.
  std::vector<StoredItem> copyData(const std::vector<link::IncomingMessage> &batch, BinaryCopy &copy) const;
  void abandon(bool open, bool lost);
  std::string regionOf(double lon, double lat) const;

  static constexpr std::size_t kRegionCacheMax = 200000;

  std::string conninfo_;
  StoredCallback onStored_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<pqxx::connection> conn_;      // committer thread: locating, loading
  std::unique_ptr<PgRaw> raw_;                  // committer thread: the batches
  std::unique_ptr<pqxx::connection> peerConn_;  // receiver thread (peer states)
  std::vector<StoredItem> lastStored_;
  std::map<std::string, std::uint64_t> writtenWatermarks_;
  // County of each sensor position seen (positions are exact doubles from the wire).
  std::map<std::pair<double, double>, std::string> regionCache_;
  std::unique_ptr<mapping::RegionIndex> regionIndex_;  // counties, for positions not in the cache
  Gate gate_;
  std::atomic<std::uint64_t> readings_{0};
  std::atomic<std::uint64_t> events_{0};
};

// The console state item a stored message updates ("reading/<sensor>", ...)
// and its kind ("reading", "alert", "camera_status", "incident", "event").
std::string stateKey(const wire::Envelope &env);
std::string stateKind(const wire::Envelope &env);

}  // namespace liandong::server
