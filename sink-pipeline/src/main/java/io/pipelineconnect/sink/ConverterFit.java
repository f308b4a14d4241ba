package io.pipelineconnect.sink;

import io.pipelineconnect.sink.copy.CopyFormatConfig;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Whether the value converter a connector config names can feed its {@code format}: text and csv
 * copy each message's bytes, binary writes typed fields (of Structs, or of JsonConverter's
 * envelopes read from bytes: so every converter can feed it). A pair that cannot work would fail
 * every record as bad; said at validation, on {@code format}, it costs the user nothing. A
 * converter the config does not name (the worker's default) or does not know is not judged.
 */
final class ConverterFit {
  private static final Set<String> GIVE_STRUCTS =
      Set.of(
          "org.apache.kafka.connect.json.JsonConverter",
          "io.confluent.connect.avro.AvroConverter",
          "io.confluent.connect.protobuf.ProtobufConverter",
          "io.confluent.connect.json.JsonSchemaConverter");
  private static final String JSON_CONVERTER = "org.apache.kafka.connect.json.JsonConverter";

  private ConverterFit() {}

  /** What is wrong with the pair, with the fix, or empty if it can work or cannot be told. */
  static Optional<String> problem(Map<String, String> config) {
    String converter = config.get("value.converter");
    if (converter == null) {
      return Optional.empty();
    }
    converter = converter.trim();
    String format =
        config.getOrDefault(CopyFormatConfig.FORMAT, "text").trim().toLowerCase(Locale.ROOT);
    if ((format.equals("text") || format.equals("csv")) && GIVE_STRUCTS.contains(converter)) {
      return Optional.of(
          "format="
              + format
              + " copies each message's bytes as a row, but value.converter="
              + converter
              + " hands the sink Structs or Maps. Set"
              + " value.converter=org.apache.kafka.connect.converters.ByteArrayConverter, or use"
              + " format=json (or binary) for structured records");
    }
    if (format.equals("binary")
        && converter.equals(JSON_CONVERTER)
        && "false"
            .equalsIgnoreCase(config.getOrDefault("value.converter.schemas.enable", "true"))) {
      return Optional.of(
          "format=binary needs each field's type, but JsonConverter with"
              + " value.converter.schemas.enable=false gives Maps without one. Set"
              + " value.converter.schemas.enable=true (messages with schemas), or use format=json");
    }
    return Optional.empty();
  }
}
