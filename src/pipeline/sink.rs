//! Where events go as they are found: the push-model [`Sink`], as grep-searcher's.

use crate::event::Event;

/// Receives each event as soon as it is found and classified.
///
/// Return `Ok(false)` to stop the run early (the report then covers what was read).
pub trait Sink {
    /// Called once per event, in input order.
    fn event(&mut self, event: &Event) -> std::io::Result<bool>;
}

/// A [`Sink`] from a closure.
///
/// ```
/// let mut seen = 0;
/// let triage = logtriage::TriageBuilder::new().build()?;
/// let logs = br#"{"insertId":"e1","severity":"ERROR","textPayload":"Redis connection failed"}"#;
/// let mut sink = logtriage::FnSink(|_ev: &logtriage::Event| -> std::io::Result<bool> {
///     seen += 1;
///     Ok(true)
/// });
/// triage.run_slice(logs, &mut sink)?;
/// assert_eq!(seen, 1);
/// # Ok::<(), logtriage::Error>(())
/// ```
pub struct FnSink<F>(pub F);

impl<F: FnMut(&Event) -> std::io::Result<bool>> Sink for FnSink<F> {
    fn event(&mut self, event: &Event) -> std::io::Result<bool> {
        (self.0)(event)
    }
}

/// A [`Sink`] that ignores events, for when only the [`crate::Report`] matters.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoSink;

impl Sink for NoSink {
    fn event(&mut self, _: &Event) -> std::io::Result<bool> {
        Ok(true)
    }
}
