//! Reading structured values out of fuzz bytes: past the end, every read is zero.

/// A cursor over fuzz input.
pub struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    /// Reads `data` from its start.
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data, at: 0 }
    }

    /// Whether every byte was read.
    pub fn is_empty(&self) -> bool {
        self.at >= self.data.len()
    }

    /// One byte.
    pub fn u8(&mut self) -> u8 {
        let b = self.data.get(self.at).copied().unwrap_or(0);
        self.at = self.at.saturating_add(1);
        b
    }

    /// Two bytes, big-endian.
    pub fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.u8(), self.u8()])
    }

    /// Eight bytes, big-endian.
    pub fn u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        for x in &mut b {
            *x = self.u8();
        }
        u64::from_be_bytes(b)
    }

    /// Thirty-two bytes.
    pub fn bytes32(&mut self) -> [u8; 32] {
        let mut b = [0u8; 32];
        for x in &mut b {
            *x = self.u8();
        }
        b
    }

    /// What is left.
    pub fn rest(&mut self) -> &'a [u8] {
        let rest = self.data.get(self.at..).unwrap_or_default();
        self.at = self.data.len();
        rest
    }
}

/// A size or index: small values (where the tree shapes differ) most of the time, any `u64`
/// (the edges of the arithmetic) otherwise.
pub fn size(r: &mut Reader<'_>) -> u64 {
    match r.u8() % 4 {
        0 => r.u64(),
        1 => u64::MAX - u64::from(r.u8()),
        2 => 1u64 << (r.u8() % 64),
        _ => u64::from(r.u16()),
    }
}
