package io.pipelineconnect.kinesis;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.profiles.ProfileFile;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.auth.StsAssumeRoleCredentialsProvider;

/**
 * Builds the Kinesis client from the endpoint settings, in one place: region, endpoint override,
 * credentials (default chain, credentials file, static keys, assumed role), HTTP/1.1 transport and
 * the SDK's standard retries with jittered backoff. Secrets are never logged.
 */
final class KinesisClientFactory {
  private static final Logger log = LoggerFactory.getLogger(KinesisClientFactory.class);

  private KinesisClientFactory() {}

  static KinesisClient create(KinesisSourceConfig config) {
    return create(config, Duration.ofSeconds(10), Duration.ofSeconds(30), null);
  }

  /**
   * A client for a connector's {@code validate()}, which Connect's REST call waits for: one
   * attempt, a few seconds in all.
   */
  static KinesisClient createForCheck(KinesisSourceConfig config) {
    return create(config, Duration.ofSeconds(3), Duration.ofSeconds(5), Duration.ofSeconds(5));
  }

  private static KinesisClient create(
      KinesisSourceConfig config,
      Duration connectTimeout,
      Duration socketTimeout,
      Duration callTimeout) {
    if (!config.cbor() && !"false".equals(System.getProperty("aws.cborEnabled"))) {
      // AWS SDK v2 offers no per-client switch: it reads this property JVM-wide, so every AWS
      // client in this worker (other connectors' too) speaks JSON from now on. Only emulators
      // such as kinesalite need it; say so where an operator will look.
      log.warn(
          "kinesis.cbor=false sets the JVM-wide system property aws.cborEnabled=false: every AWS"
              + " SDK client in this worker now uses JSON instead of CBOR, not only this"
              + " connector's. Use it only against an emulator (kinesalite), or start the worker"
              + " with -Daws.cborEnabled=false deliberately.");
      System.setProperty("aws.cborEnabled", "false");
    }
    SdkHttpClient http =
        UrlConnectionHttpClient.builder()
            .connectionTimeout(connectTimeout)
            .socketTimeout(socketTimeout)
            .build();
    ClientOverrideConfiguration.Builder override = ClientOverrideConfiguration.builder();
    if (callTimeout == null) {
      override.retryStrategy(RetryMode.STANDARD);
    } else {
      override.retryStrategy(AwsRetryStrategy.doNotRetry()).apiCallTimeout(callTimeout);
    }
    Region region = Region.of(config.region());
    var builder =
        KinesisClient.builder()
            .region(region)
            .httpClient(http)
            .credentialsProvider(credentials(config, region))
            .overrideConfiguration(override.build());
    config.endpointUrl().ifPresent(url -> builder.endpointOverride(URI.create(url)));
    log.info(
        "Kinesis client for region {}{}, credentials from {}",
        config.region(),
        config.endpointUrl().map(u -> " at " + u).orElse(""),
        describeCredentials(config));
    return builder.build();
  }

  /**
   * The credentials every Kinesis call signs with: the configured base credentials, or, with {@code
   * kinesis.role.arn}, the sessions STS hands out for that role against them.
   */
  static AwsCredentialsProvider credentials(KinesisSourceConfig config, Region region) {
    AwsCredentialsProvider base;
    if (config.accessKeyId().isPresent()) {
      base =
          StaticCredentialsProvider.create(
              AwsBasicCredentials.create(
                  config.accessKeyId().get(), config.secretAccessKey().get().value()));
    } else if (config.credentialsFile().isPresent()) {
      base =
          ProfileCredentialsProvider.builder()
              .profileFile(
                  ProfileFile.builder()
                      .content(Path.of(config.credentialsFile().get()))
                      .type(ProfileFile.Type.CREDENTIALS)
                      .build())
              .profileName(config.credentialsProfile())
              .build();
    } else {
      base = DefaultCredentialsProvider.builder().build();
    }
    if (config.roleArn().isEmpty()) {
      return base;
    }
    var sts =
        StsClient.builder()
            .region(region)
            .httpClient(UrlConnectionHttpClient.create())
            .credentialsProvider(base);
    config.stsUrl().ifPresent(url -> sts.endpointOverride(URI.create(url)));
    return StsAssumeRoleCredentialsProvider.builder()
        .stsClient(sts.build())
        .refreshRequest(
            r -> {
              r.roleArn(config.roleArn().get()).roleSessionName(config.roleSessionName());
              config.roleExternalId().ifPresent(id -> r.externalId(id.value()));
            })
        .build();
  }

  private static String describeCredentials(KinesisSourceConfig config) {
    String source =
        config.accessKeyId().isPresent()
            ? "static key " + config.accessKeyId().get()
            : config
                .credentialsFile()
                .map(f -> "file " + f + " [" + config.credentialsProfile() + "]")
                .orElse("the default provider chain");
    return source
        + config
            .roleArn()
            .map(
                role ->
                    ", assuming "
                        + role
                        + " as session "
                        + config.roleSessionName()
                        + (config.roleExternalId().isPresent() ? " with an external id" : "")
                        + config.stsUrl().map(u -> " through STS at " + u).orElse(""))
            .orElse("");
  }
}
