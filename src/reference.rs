//! The reference: the formats and rules logtriage follows (written in the docs branch).
