#pragma once

// The onStatus codes an encoder shows to the seller.
namespace looplive::ingest::status {
constexpr const char* kConnectSuccess = "NetConnection.Connect.Success";
constexpr const char* kConnectRejected = "NetConnection.Connect.Rejected";
constexpr const char* kPublishStart = "NetStream.Publish.Start";
constexpr const char* kPublishBadName = "NetStream.Publish.BadName";  // wrong, revoked or busy key
constexpr const char* kFailed = "NetStream.Failed";                   // try again later
// The server is going away: publish again, to another server behind the same address.
constexpr const char* kConnectClosed = "NetConnection.Connect.Closed";
constexpr const char* kUnpublishSuccess = "NetStream.Unpublish.Success";
constexpr const char* kPlayFailed = "NetStream.Play.Failed";
}  // namespace looplive::ingest::status
