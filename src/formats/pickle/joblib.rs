//! joblib's in-stream NumPy array data, skipped the way `NumpyUnpickler` reads it.
#![warn(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use super::input::{Input, Res, invalid};
use super::machine::{End, Machine};
use super::value::Value;

impl<'c, 'a> Machine<'c, 'a> {
    /// joblib writes a NumPy array's bytes into the pickle stream right after the BUILD of
    /// its `NumpyArrayWrapper` (`joblib/numpy_pickle.py`, `write_array`/`read_array`): an
    /// optional alignment padding (one length byte, then that many bytes), then the raw data;
    /// or, for object arrays, a whole pickle of its own. Skip the raw data exactly as
    /// `NumpyUnpickler` does; analyse the embedded pickle.
    pub(super) fn joblib_array(&mut self, state: &Value, inp: &mut Input) -> Res<()> {
        let dtype = match state.dict_get("dtype") {
            Some(Value::Dtype(d)) => d,
            _ => return invalid("joblib array wrapper without a readable dtype"),
        };
        if dtype
            .trim_start_matches(['<', '>', '|', '='])
            .starts_with('O')
        {
            let mut sub = Machine::new(&mut *self.ctx);
            return match sub.run(inp)? {
                End::Stop => Ok(()),
                _ => invalid("embedded object-array pickle did not end"),
            };
        }
        let Some(itemsize) = crate::formats::npy::itemsize(&dtype) else {
            return invalid(format!("joblib array of unsupported dtype {dtype:?}"));
        };
        let shape = match state.dict_get("shape") {
            Some(t @ Value::Tuple { .. }) => t
                .items()
                .iter()
                .map(|d| match d {
                    Value::Int(n) => u64::try_from(*n).ok(),
                    _ => None,
                })
                .collect::<Option<Vec<u64>>>(),
            Some(Value::Opaque) => Some(Vec::new()),
            _ => None,
        };
        let Some(shape) = shape else {
            return invalid("joblib array wrapper without a readable shape");
        };
        let Some(nbytes) = shape.iter().try_fold(itemsize, |a, &d| a.checked_mul(d)) else {
            return invalid("joblib array size overflows");
        };
        if let Some(Value::Int(_)) = state.dict_get("numpy_array_alignment_bytes") {
            let pad = inp.byte("joblib alignment padding")?;
            inp.take(u64::from(pad), 0, "joblib alignment padding")?;
        }
        inp.take(nbytes, 0, "joblib array data")?;
        Ok(())
    }
}

pub(super) fn is_joblib_array_wrapper(path: &str) -> bool {
    matches!(
        path,
        "joblib.numpy_pickle.NumpyArrayWrapper"
            | "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper"
    )
}
