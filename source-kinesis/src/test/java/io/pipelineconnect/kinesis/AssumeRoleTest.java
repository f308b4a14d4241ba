package io.pipelineconnect.kinesis;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.regions.Region;

/**
 * Cross-account access: the AssumeRole call the connector makes, answered by a scripted STS on a
 * local port (the real STS needs an AWS account; kinesalite has none), so what is sent (role,
 * session name, external id) and what is used (the session's keys) are both seen.
 */
class AssumeRoleTest {
  private static final String RESPONSE =
      """
      <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
        <AssumeRoleResult>
          <Credentials>
            <AccessKeyId>ASIASESSIONKEY</AccessKeyId>
            <SecretAccessKey>session-secret</SecretAccessKey>
            <SessionToken>session-token</SessionToken>
            <Expiration>2099-01-01T00:00:00Z</Expiration>
          </Credentials>
          <AssumedRoleUser>
            <AssumedRoleId>AROAEXAMPLE:reader-session</AssumedRoleId>
            <Arn>arn:aws:sts::210987654321:assumed-role/reader/reader-session</Arn>
          </AssumedRoleUser>
        </AssumeRoleResult>
        <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
      </AssumeRoleResponse>
      """;

  private HttpServer sts;
  private final List<Map<String, String>> calls = Collections.synchronizedList(new ArrayList<>());

  @BeforeEach
  void startSts() throws Exception {
    sts = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    sts.createContext(
        "/",
        exchange -> {
          String body =
              new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
          Map<String, String> form = new LinkedHashMap<>();
          for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            form.put(
                URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
          }
          form.put("Authorization", exchange.getRequestHeaders().getFirst("Authorization"));
          calls.add(form);
          byte[] answer = RESPONSE.getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "text/xml");
          exchange.sendResponseHeaders(200, answer.length);
          exchange.getResponseBody().write(answer);
          exchange.close();
        });
    sts.start();
  }

  @AfterEach
  void stopSts() {
    sts.stop(0);
  }

  private KinesisSourceConfig config(Map<String, String> extra) {
    Map<String, String> props = new HashMap<>();
    props.put("kinesis.stream", "clicks");
    props.put("topic", "clicks");
    props.put("kinesis.access.key.id", "AKIABASEKEY");
    props.put("kinesis.secret.access.key", "base-secret");
    props.put("kinesis.role.arn", "arn:aws:iam::210987654321:role/reader");
    props.put("kinesis.sts.url", "http://127.0.0.1:" + sts.getAddress().getPort());
    props.putAll(extra);
    return new KinesisSourceConfig(props);
  }

  @Test
  void theRoleIsAssumedWithTheSessionNameAndExternalIdAndItsSessionKeysAreUsed() {
    AwsCredentialsProvider provider =
        KinesisClientFactory.credentials(
            config(
                Map.of(
                    "kinesis.role.external.id", "trust-policy-id",
                    "kinesis.role.session.name", "reader-session")),
            Region.EU_WEST_1);

    AwsCredentials used = provider.resolveCredentials();

    assertThat(used).isInstanceOf(AwsSessionCredentials.class);
    assertThat(used.accessKeyId()).isEqualTo("ASIASESSIONKEY");
    assertThat(((AwsSessionCredentials) used).sessionToken()).isEqualTo("session-token");
    assertThat(calls).hasSize(1);
    Map<String, String> call = calls.get(0);
    assertThat(call)
        .containsEntry("Action", "AssumeRole")
        .containsEntry("RoleArn", "arn:aws:iam::210987654321:role/reader")
        .containsEntry("RoleSessionName", "reader-session")
        .containsEntry("ExternalId", "trust-policy-id");
    // Signed with the base credentials, for the region's STS.
    assertThat(call.get("Authorization")).contains("AKIABASEKEY/").contains("/eu-west-1/sts/");
  }

  @Test
  void withoutAnExternalIdNoneIsSentAndTheSessionNameDefaults() {
    KinesisClientFactory.credentials(config(Map.of()), Region.US_EAST_1).resolveCredentials();

    assertThat(calls).hasSize(1);
    assertThat(calls.get(0))
        .containsEntry("RoleSessionName", "pipeline-connect")
        .doesNotContainKey("ExternalId");
  }
}
