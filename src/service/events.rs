//! The event bus: every subscriber of `GET /v1/events` gets every event,
//! through a bounded broadcast channel. Publishing never blocks (readers and
//! reads publish from blocking threads); a subscriber that falls more than
//! [`EVENT_BUFFER`] events behind loses the oldest ones and is told how many
//! (`events_lost`), instead of slowing anyone down.

use crate::api::Event;
use tokio::sync::broadcast;

/// Events kept for slow subscribers before they start losing the oldest.
pub const EVENT_BUFFER: usize = 1024;

/// A cloneable handle to publish and subscribe.
#[derive(Debug, Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Event>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBus {
    /// A bus with [`EVENT_BUFFER`] slots.
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(EVENT_BUFFER);
        Self { tx }
    }

    /// Publishes `event` to every current subscriber (none is fine). Never blocks.
    pub fn publish(&self, event: Event) {
        tracing::debug!(kind = event.kind(), "event");
        let _ = self.tx.send(event);
    }

    /// A new subscription, starting with the next event.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }

    /// Current subscribers.
    pub fn subscribers(&self) -> usize {
        self.tx.receiver_count()
    }
}
