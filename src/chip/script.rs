//! Scripted answers under secure messaging ([`SoftwareChip::script`](super::SoftwareChip::script)).
//!
//! A hostile chip that knows the session keys can say anything with a valid
//! MAC. To let a fuzzer (or a test) be that chip, the software chip runs
//! access control genuinely (BAC, PACE), unwraps every protected command as
//! usual (so its send sequence counter follows the terminal's), and answers
//! each protected command with the next [`ScriptedAnswer`] instead of
//! executing it.

use crate::protocol::apdu::ResponseApdu;

/// One answer to a protected command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptedAnswer {
    /// This plain answer (data and status word), wrapped under the current
    /// session as a genuine answer would be (DO'87'/DO'85', DO'99', DO'8E';
    /// injected secure-messaging faults apply).
    Protected(ResponseApdu),
    /// These bytes, sent as they are without secure messaging (e.g. `6987`);
    /// the chip drops its session, as real chips do after such an answer.
    Raw(Vec<u8>),
    /// The command is executed and answered genuinely (e.g. the steps of
    /// Chip or Active Authentication, whose answers depend on the terminal's
    /// fresh keys and challenge).
    Genuine,
}
