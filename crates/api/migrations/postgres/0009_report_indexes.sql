-- Reports (`store/reports.rs`) read the interactions accepted in a period, their handle-time
-- segments, and each one's first contact message and first agent reply.
CREATE INDEX interactions_accepted ON interactions(accepted_at);
CREATE INDEX handle_time_segments_interaction ON handle_time_segments(interaction_id, agent_id, started_at);
CREATE INDEX messages_interaction_author ON messages(interaction_id, author_kind, created_at);
