# swarmgate-echo:dev, the demo and end-to-end test backend
# (cmd/swarmgate-echo). Built by `make docker-build` from the static
# bin/swarmgate-echo in a minimal build context (hack/docker-build.sh).
FROM scratch
COPY swarmgate-echo /usr/local/bin/swarmgate-echo
USER 65532:65532
EXPOSE 8000
# A short interval: Swarm marks a task running, and so routable, only after
# its first healthy check. POST /__echo/health?fail=1 makes it fail.
HEALTHCHECK --interval=1s --timeout=2s --retries=3 \
  CMD ["/usr/local/bin/swarmgate-echo", "probe", "--fail", "--timeout", "1s", "--url", "http://127.0.0.1:8000/healthz"]
ENTRYPOINT ["/usr/local/bin/swarmgate-echo"]
CMD ["--listen", ":8000"]
