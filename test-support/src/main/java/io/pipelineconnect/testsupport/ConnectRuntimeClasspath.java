package io.pipelineconnect.testsupport;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * This JVM's classpath without the plugin: what a Connect worker has of its own. A worker started
 * on it with {@code plugin.path} proves the packaged plugin is complete and isolated.
 */
public final class ConnectRuntimeClasspath {
  /** Our modules and the libraries only the plugin brings (PostgreSQL driver, AWS SDK). */
  private static final Pattern PLUGIN_ENTRY =
      Pattern.compile(
          ".*(/io/pipelineconnect/|/pipeline-common/|/sink-pipeline/|/source-kinesis/"
              + "|/trigger-emitter/|/packaging/|/benchmarks/|/test-support/|/org/postgresql/"
              + "|/software/amazon/|/org/reactivestreams/|/org/checkerframework/).*");

  private ConnectRuntimeClasspath() {}

  public static String withoutPlugin() {
    List<String> kept = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      if (!PLUGIN_ENTRY.matcher(entry.replace(File.separatorChar, '/')).matches()) {
        kept.add(entry);
      }
    }
    return String.join(File.pathSeparator, kept);
  }
}
