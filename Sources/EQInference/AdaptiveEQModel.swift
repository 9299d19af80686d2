/// Everything the engine needs from `AdaptiveEQModel.safetensors` (format version 1):
/// the log-mel constants, the audio encoder, the EQ decoder and the term table.
///
/// Loading checks the metadata (format name, version, every front-end constant) and every
/// tensor's name, dtype and shape against `docs/MODEL_FORMAT.md`, and stops at the first
/// mismatch with a `ModelFileError` naming it. Loading allocates; do it off the audio thread.
public struct AdaptiveEQModel: @unchecked Sendable {
    public static let formatName = "adaptive-eq-model"
    public static let formatVersion = 1

    /// Sample rate the constants below are defined at (44100).
    public let referenceSampleRateHz: Double
    public let fftSize: Int
    public let hopSize: Int
    public let melBandCount: Int
    public let minimumFrequencyHz: Double
    public let maximumFrequencyHz: Double
    /// Analysis window in STFT frames (176 ≈ 2.04 s at 44.1 kHz).
    public let frameCount: Int
    public let latentCount: Int
    /// `mel.filterbank` `[melBandCount, fftSize/2 + 1]` as exported (for parity checks; the
    /// engine rebuilds the filterbank for its own sample rate).
    public let storedFilterbank: FloatBuffer
    public let encoder: AudioEncoderWeights
    public let decoder: EQDecoderWeights
    public private(set) var terms: TermTable
    /// The `neutral` metadata sentence: what colouration z = decoder⁻¹(flat) is relative to.
    public let neutralDescription: String
    /// Factor on the encoder's latent before it is decoded as the audio's colouration
    /// (`colouration_gain` metadata, 1 when absent): the encoder under-reports colourings
    /// (it tracks added EQs with a slope below 1), and this gain, calibrated on validation
    /// recordings by `python -m training.calibrate`, makes up for it.
    public let colourationGain: Float
    public let metadata: [String: String]

    /// Reads and validates the model at `path` (plain POSIX I/O).
    public init(path: String) throws(ModelFileError) {
        try self.init(file: SafetensorsFile(path: path))
    }

    public init(file: SafetensorsFile) throws(ModelFileError) {
        let format = try file.metadataString("format")
        guard format == AdaptiveEQModel.formatName else {
            throw .invalidMetadata(key: "format", value: format, expected: "'\(AdaptiveEQModel.formatName)'")
        }
        let version = try file.metadataInt("version")
        guard version == AdaptiveEQModel.formatVersion else {
            throw .invalidMetadata(key: "version", value: "\(version)", expected: "\(AdaptiveEQModel.formatVersion)")
        }
        func require(_ key: String, _ value: Int, _ expected: Int) throws(ModelFileError) {
            guard value == expected else { throw .invalidMetadata(key: key, value: "\(value)", expected: "\(expected)") }
        }
        referenceSampleRateHz = try file.metadataDouble("sample_rate")
        guard referenceSampleRateHz >= 8000 && referenceSampleRateHz <= 192000 else {
            throw .invalidMetadata(key: "sample_rate", value: "\(referenceSampleRateHz)", expected: "8000 … 192000")
        }
        fftSize = try file.metadataInt("n_fft")
        guard fftSize >= 16 && fftSize <= 16384 && fftSize & (fftSize - 1) == 0 else {
            throw .invalidMetadata(key: "n_fft", value: "\(fftSize)", expected: "a power of two in 16 … 16384")
        }
        hopSize = try file.metadataInt("hop")
        guard hopSize > 0 && hopSize <= fftSize else {
            throw .invalidMetadata(key: "hop", value: "\(hopSize)", expected: "1 … n_fft")
        }
        melBandCount = try file.metadataInt("n_mels")
        try require("n_mels", melBandCount, AudioEncoderWeights.melBandCount)
        minimumFrequencyHz = try file.metadataDouble("fmin_hz")
        maximumFrequencyHz = try file.metadataDouble("fmax_hz")
        guard minimumFrequencyHz >= 0 && maximumFrequencyHz > minimumFrequencyHz else {
            throw .invalidMetadata(key: "fmax_hz", value: "\(maximumFrequencyHz)", expected: "above fmin_hz \(minimumFrequencyHz)")
        }
        frameCount = try file.metadataInt("frames")
        guard frameCount >= 16 && frameCount <= 4096 && frameCount % 2 == 0 else {
            throw .invalidMetadata(key: "frames", value: "\(frameCount)", expected: "an even count in 16 … 4096")
        }
        latentCount = try file.metadataInt("latent")
        try require("latent", latentCount, AudioEncoderWeights.latentCount)
        let hidden = try file.metadataInt("decoder_hidden")
        guard hidden > 0 && hidden <= 4096 else {
            throw .invalidMetadata(key: "decoder_hidden", value: "\(hidden)", expected: "1 … 4096")
        }
        let blocks = try file.metadataInt("decoder_blocks")
        guard blocks >= 0 && blocks <= 64 else {
            throw .invalidMetadata(key: "decoder_blocks", value: "\(blocks)", expected: "0 … 64")
        }
        neutralDescription = file.metadata["neutral"] ?? ""
        if file.metadata["colouration_gain"] == nil {
            colourationGain = 1
        } else {
            let gain = try file.metadataDouble("colouration_gain")
            guard gain >= 0.25 && gain <= 4 else {
                throw .invalidMetadata(key: "colouration_gain", value: "\(gain)", expected: "0.25 … 4")
            }
            colourationGain = Float(gain)
        }
        metadata = file.metadata

        storedFilterbank = FloatBuffer(try file.floats("mel.filterbank", shape: [melBandCount, fftSize / 2 + 1]))
        encoder = try AudioEncoderWeights(file: file)
        decoder = try EQDecoderWeights(file: file, latentCount: latentCount, hiddenCount: hidden, blockCount: blocks)
        terms = try TermTable(file: file, latentCount: latentCount)
    }
}

extension AdaptiveEQModel {
    /// A copy whose term table ends with one more row, `name` → `latent` (no crowd support):
    /// how a target that is no learnt word (an inferred word, a phrase) reaches the engine,
    /// which addresses targets by row.
    public func appendingTerm(_ name: String, latent: [Float]) -> AdaptiveEQModel {
        precondition(latent.count == latentCount)
        var copy = self
        let old = terms
        let z = Array(UnsafeBufferPointer(start: old.z.pointer, count: old.count * latentCount)) + latent
        let support = Array(UnsafeBufferPointer(start: old.support.pointer, count: old.count * 3)) + [Float](repeating: 0, count: 3)
        let names = old.names.contains(name) ? old.names + ["\(name) (\(old.count))"] : old.names + [name]
        copy.terms = TermTable(names: names, latentCount: latentCount, z: z, support: support)
        return copy
    }
}
