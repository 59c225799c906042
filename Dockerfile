# The fimishare node: the HTTP service under gunicorn, configured from the environment.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY requirements/run.txt ./requirements/run.txt
RUN pip install --no-cache-dir -r requirements/run.txt
COPY fimishare ./fimishare
RUN pip install --no-cache-dir --no-deps . && useradd --system --home-dir /var/lib/fimishare --create-home fimishare
USER fimishare
ENV FIMISHARE_HOME=/var/lib/fimishare
EXPOSE 8000
CMD ["sh", "-c", "fimishare init --org-name \"${FIMISHARE_ORG_NAME:-fimishare node}\" && exec fimishare serve --host 0.0.0.0 --port 8000"]
